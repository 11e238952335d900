import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { systemClock } from '../../src/clock.js';
import { checkKey } from '../../src/keys.js';
import { inDoubtWrites } from '../shared/records.js';
import { publicUrl } from '../shared/server-driver.js';
import type { ServerLeases } from '../shared/server-leases.js';
import { disposeServer, type ServerState } from '../shared/server-state.js';
import { closed, NAME } from './errors.js';
import type { RedisAdapterOptions } from './options.js';

/**
 * The Redis keys of one adapter (see the layout in `scripts.ts`): per
 * checkpoint key, its head, live seqs, metadata, bytes, quarantine and notice
 * channel; and the two sets of keys.
 *
 * @example
 * ```ts
 * const k = redisKeys('xsc:');
 * k.head('order-1'); // 'xsc:h:order-1'
 * ```
 */
export function redisKeys(prefix: string) {
  return {
    head: (key: string) => `${prefix}h:${key}`,
    gens: (key: string) => `${prefix}g:${key}`,
    meta: (key: string) => `${prefix}m:${key}`,
    bytes: (key: string) => `${prefix}b:${key}`,
    quarantine: (key: string) => `${prefix}q:${key}`,
    notices: (key: string) => `${prefix}n:${key}`,
    keys: `${prefix}keys`,
    qkeys: `${prefix}qkeys`,
  };
}

/**
 * What every part of one Redis adapter shares: its settings (options with
 * their defaults), its key layout, and the state its calls change (the
 * client, the durability check, in-doubt writes, notices, `disposed`).
 *
 * @example
 * ```ts
 * const io: RedisIo = redisIo({ url: 'redis://127.0.0.1:6379', strict: true });
 * ```
 */
export interface RedisIo extends ServerState {
  readonly options: RedisAdapterOptions;
  readonly strict: boolean;
  /** Receives the durability warning. */
  readonly warn: (message: string) => void;
  readonly k: ReturnType<typeof redisKeys>;
  client: Redis | undefined;
  /** The client the adapter created (and closes on `dispose`). */
  ownClient: Redis | undefined;
  clientPromise: Promise<Redis> | undefined;
  /** The durability check, once it started (a refusal stays). */
  checked: Promise<void> | undefined;
}

/**
 * The shared parts of an adapter for `options`, with every default filled in.
 *
 * @example
 * ```ts
 * const io = redisIo({ prefix: 'orders:' });
 * io.k.keys; // 'orders:keys'
 * ```
 */
export function redisIo(options: RedisAdapterOptions): RedisIo {
  const prefix = options.prefix ?? 'xsc:';
  const strict = options.strict ?? false;
  const warn = options.onWarning ?? ((message: string) => console.warn(message));
  const defaultTtl = options.leaseTtlMs ?? 30_000;
  const renewLeases = options.renewLeases ?? true;
  const clock = options.clock ?? systemClock;
  const owner = options.owner ?? `xsc-${randomBytes(8).toString('hex')}`;
  const attempts = Math.max(1, options.attempts ?? 3);
  const given = options.client?.options;
  const server = given
    ? `redis://${given.host ?? '127.0.0.1'}:${given.port ?? 6379}/${given.db ?? 0}`
    : publicUrl(options.url ?? 'redis://127.0.0.1:6379');
  return {
    options,
    strict,
    warn,
    defaultTtl,
    renewLeases,
    clock,
    owner,
    attempts,
    server,
    k: redisKeys(prefix),
    inDoubt: inDoubtWrites(),
    client: options.client,
    ownClient: undefined,
    clientPromise: undefined,
    checked: undefined,
    disposed: false,
    notices: undefined,
  };
}

/**
 * Refuses a call on `key` after `dispose()` (`closed`) or a key the contract refuses.
 *
 * @example
 * ```ts
 * openKey(io, 'order-1');
 * ```
 */
export function openKey(io: RedisIo, key: string): void {
  if (io.disposed) throw closed(key);
  checkKey(key, NAME);
}

/**
 * The adapter's `dispose` ({@link disposeServer}): quits the client if the
 * adapter created it (disconnects when quitting fails).
 *
 * @example
 * ```ts
 * await disposeIo(io, leases);
 * ```
 */
export function disposeIo(io: RedisIo, leases: ServerLeases): Promise<void> {
  return disposeServer(io, leases, {
    close: async () => {
      if (io.ownClient) await io.ownClient.quit().catch(() => io.ownClient?.disconnect());
    },
  });
}
