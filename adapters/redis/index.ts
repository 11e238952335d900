import { disposeIo, redisIo } from './context.js';
import { NAME } from './errors.js';
import { generationMethods } from './generations.js';
import { redisLeases } from './leases.js';
import { quarantineMethods } from './quarantine.js';
import { subscribe } from './subscribe.js';
import type { RedisAdapter, RedisAdapterOptions } from './types.js';

export type { IoredisModule, RedisAdapter, RedisAdapterOptions, RedisLease } from './types.js';

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
