import type { RedisOptions } from 'ioredis';
import type { GenerationNotice } from '../../src/adapter.js';
import { backoffDelay } from '../shared/backoff.js';
import { getClient } from './client.js';
import { openKey, type RedisIo } from './context.js';
import { redisNotices } from './notices.js';

/**
 * The adapter's `subscribe`: the first call opens the subscriber connection
 * ({@link redisNotices}) the later ones share.
 *
 * @example
 * ```ts
 * const stop = subscribe(io, 'order-1', (notice) => console.log(notice.seq));
 * ```
 */
export function subscribe(io: RedisIo, key: string, listener: (notice: GenerationNotice) => void): () => void {
  openKey(io, key);
  const { k } = io;
  io.notices ??= redisNotices({
    // Keeps reconnecting while someone listens (closed with the last listener or dispose).
    connect: async () =>
      (await getClient(io)).duplicate<Partial<RedisOptions>>({
        lazyConnect: true,
        retryStrategy: (times: number) => backoffDelay(times - 1, { minMs: 100, maxMs: 5000 }),
      }),
    channelOf: k.notices,
    heads: async (keys) => {
      const c = await getClient(io);
      const heads = await Promise.all(keys.map((one) => c.hmget(k.head(one), 'seq', 'epoch')));
      return heads.flatMap(([seq, epoch], i) =>
        seq ? [{ key: keys[i]!, seq: Number(seq), epoch: Number(epoch ?? 0) }] : [],
      );
    },
  });
  return io.notices.subscribe(key, listener);
}
