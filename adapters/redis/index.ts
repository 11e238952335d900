import type { AcquireOptions, CheckpointAdapter, GenerationNotice, Lease, NewestRead } from '../../src/adapter.js';
import { disposeIo, redisIo } from './context.js';
import { NAME } from './errors.js';
import { generationMethods } from './generations.js';
import { redisLeases } from './leases.js';
import { quarantineMethods } from './quarantine.js';
import { subscribe } from './subscribe.js';
import type { RedisAdapterOptions } from './options.js';

export type { IoredisModule, RedisAdapterOptions } from './options.js';

/**
 * A lease on a key in Redis; expires by the server's clock unless renewed
 * (the adapter renews it by default).
 *
 * @example
 * ```ts
 * import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
 * const adapter = redisAdapter({ strict: true });
 * const lease = await adapter.acquire('order-1', { ttlMs: 10_000 });
 * await lease.release();
 * ```
 */
export interface RedisLease extends Lease {
  /** Expiry by the Redis server's clock (ms since 1970), as of the last acquire or renew. */
  readonly expiresAt: number;
  /** Extends the lease; rejects with `fenced` when it was taken over or released. */
  renew(ttlMs?: number): Promise<void>;
}

/** The adapter {@link redisAdapter} returns: the contract plus typed leases. */
export interface RedisAdapter extends CheckpointAdapter {
  acquire(key: string, options?: AcquireOptions): Promise<RedisLease>;
  readNewest(key: string): Promise<NewestRead>;
  subscribe(key: string, listener: (notice: GenerationNotice) => void): () => void;
}

/**
 * Stores checkpoints in Redis (opt-in; ioredis): every operation is one Lua
 * script, so compare-and-set, fencing and leases (on the server's clock) are
 * atomic on the server.
 *
 * Redis acknowledges writes before they reach the disk unless it runs with
 * `appendonly yes` and `appendfsync always`. On first use the adapter reads
 * both settings and warns through `onWarning`, or with `strict: true` refuses
 * the server with `invalid-option`; `capabilities.durable` is `strict`.
 *
 * @example
 * ```ts
 * import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
 *
 * const adapter = redisAdapter({ url: 'redis://127.0.0.1:6379', prefix: 'orders:', strict: true });
 * const newest = (await adapter.list('order-1'))[0];
 * ```
 */
export function redisAdapter(options: RedisAdapterOptions = {}): RedisAdapter {
  const io = redisIo(options);
  const leases = redisLeases(io);
  return {
    name: NAME,
    capabilities: { durable: io.strict, crossProcess: true, locks: true },
    ...generationMethods(io),
    ...quarantineMethods(io),
    subscribe: (key, listener) => subscribe(io, key, listener),
    acquire: (key, acquireOptions = {}) => leases.acquire(key, acquireOptions),
    dispose: () => disposeIo(io, leases),
  };
}
