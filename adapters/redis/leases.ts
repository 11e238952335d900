import { serverLeases, type ServerLeases } from '../shared/server-leases.js';
import { run } from './client.js';
import { openKey, type RedisIo } from './context.js';
import { NAME } from './errors.js';
import { text } from './meta.js';
import { scripts } from './scripts.js';

/**
 * The adapter's leases: fields of the key's head hash (owner, expiry by the
 * server's `TIME`), taken when free or expired with the epoch bumped;
 * `acquire` checks the key first ({@link openKey}). Refuses a bad
 * `leaseTtlMs` with `invalid-option`.
 *
 * @example
 * ```ts
 * const leases = redisLeases(io);
 * const lease = await leases.acquire('order-1', { ttlMs: 10_000 });
 * ```
 */
export function redisLeases(io: RedisIo): ServerLeases {
  const { k, owner } = io;
  return serverLeases(NAME, io, (key) => openKey(io, key), {
    take: async (key, ttlMs) => {
      const [epoch, holder, expires, now] = (await run(
        io,
        { key },
        scripts.acquire,
        [k.head(key)],
        [owner, ttlMs],
        false,
      )) as [number, Buffer, number, number];
      if (epoch > 0) return { epoch, expiresAt: expires };
      return { holder: { owner: text(holder), expiresAt: expires, untilExpiry: expires - now } };
    },
    extend: async (key, epoch, ttl) => {
      const until = await run(io, { key }, scripts.renew, [k.head(key)], [owner, epoch, ttl], true);
      return until === null ? undefined : Number(until);
    },
    free: async (key, epoch) => {
      await run(io, { key }, scripts.release, [k.head(key)], [owner, epoch], true);
    },
  });
}
