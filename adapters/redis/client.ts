import type { Redis, RedisOptions } from 'ioredis';
import type { CheckpointErrorDetails } from '../../src/errors.js';
import { backoffDelay } from '../shared/backoff.js';
import { pause } from '../shared/clock.js';
import { loadDriver } from '../shared/server-driver.js';
import type { RedisIo } from './context.js';
import { checkDurability } from './durability.js';
import { closed, failure, NAME } from './errors.js';
import type { Script } from './scripts.js';

/**
 * The client: the given one, or one the adapter creates from its options on
 * first use (loading `ioredis` then; `driver-missing` when it cannot).
 *
 * @example
 * ```ts
 * const c = await getClient(io);
 * ```
 */
export async function getClient(io: RedisIo): Promise<Redis> {
  if (io.client) return io.client;
  const { options } = io;
  io.clientPromise ??= (async () => {
    const mod = await loadDriver(NAME, 'ioredis', options.driver ?? (() => import('ioredis')));
    const RedisClass = mod.Redis;
    const clientOptions: RedisOptions = {
      lazyConnect: true,
      // ioredis resends unanswered commands after a reconnect; the write script
      // recognises its own token, so a resent write cannot conflict with itself.
      maxRetriesPerRequest: 2,
      retryStrategy: (times) => (times > 6 ? null : backoffDelay(times - 1, { minMs: 50, maxMs: 500 })),
      ...options.clientOptions,
    };
    // ioredis 6 types `replyMapping` without `| undefined`, which exactOptionalPropertyTypes rejects.
    const created = new RedisClass(
      options.url ?? 'redis://127.0.0.1:6379',
      clientOptions as Omit<RedisOptions, 'replyMapping'>,
    );
    // Connection trouble surfaces on the commands; an unheard 'error' event would crash the process.
    created.on('error', () => undefined);
    io.ownClient = created;
    io.client = created;
    return created;
  })();
  return io.clientPromise;
}

/**
 * The client, asked to connect again when it is the adapter's own and gave up reconnecting.
 *
 * @example
 * ```ts
 * const members = await (await liveClient(io)).smembers(io.k.keys);
 * ```
 */
export async function liveClient(io: RedisIo): Promise<Redis> {
  const c = await getClient(io);
  // Our client gave up reconnecting (retryStrategy): this call is what asks for it again.
  // A failed connect shows on the command that follows, as `connection`.
  if (c === io.ownClient && c.status === 'end') await c.connect().catch(() => undefined);
  return c;
}

const evalScript = async (c: Redis, s: Script, keys: string[], args: Array<string | Buffer | number>) => {
  try {
    return await c.callBuffer('EVALSHA', [s.sha, keys.length, ...keys, ...args]);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return c.callBuffer('EVAL', [s.source, keys.length, ...keys, ...args]);
  }
};

/**
 * Runs one script (by its SHA, sending the source when the server lacks it);
 * retries after a lost connection when `retry` allows (reads, and writes made safe).
 *
 * @example
 * ```ts
 * const reply = await run(io, { key, seq }, scripts.read, [io.k.gens(key), io.k.bytes(key)], [seq], true);
 * ```
 */
export async function run(
  io: RedisIo,
  details: CheckpointErrorDetails,
  s: Script,
  keys: string[],
  args: Array<string | Buffer | number> | (() => Array<string | Buffer | number>),
  retry: boolean,
  onLost?: () => void,
): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    if (io.disposed) throw closed(details.key);
    try {
      const c = await liveClient(io);
      await checkDurability(io, c);
      return await evalScript(c, s, keys, typeof args === 'function' ? args() : args);
    } catch (error) {
      const mapped = failure(error, details, io.server);
      if (mapped.code !== 'connection') throw mapped;
      onLost?.();
      if (!retry || attempt + 1 >= io.attempts) throw mapped;
      await pause(io.clock, backoffDelay(attempt, { minMs: 50, maxMs: 1000, jitter: true }));
    }
  }
}
