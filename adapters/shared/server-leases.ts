import type { AcquireOptions } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import type { Clock } from '../../src/clock.js';
import {
  checkTtl,
  releaseAll,
  renewingLease,
  waitForLease,
  type HeldLease,
  type LeaseHolder,
  type RenewingLease,
} from './lease.js';

/** What one try at taking a key on the server found: the new lease, or who holds the key. */
export type LeaseTake = { readonly epoch: number; readonly expiresAt: number } | { readonly holder: LeaseHolder };

/** The three lease statements a server adapter runs; everything around them is {@link serverLeases}'. */
export interface LeaseStatements {
  /** One try at taking `key` for `ttlMs` (by the server's clock). */
  readonly take: (key: string, ttlMs: number) => Promise<LeaseTake>;
  /** Extends the lease at `epoch` by `ttlMs`: the new expiry, or `undefined` when it is no longer ours. */
  readonly extend: (key: string, epoch: number, ttlMs: number) => Promise<number | undefined>;
  /** Gives the lease at `epoch` up on the server. */
  readonly free: (key: string, epoch: number) => Promise<void>;
}

/** What {@link serverLeases} reads of its adapter (live: `disposed` flips on `dispose`). */
export interface LeaseSettings {
  /** The adapter's clock: it times the wait of `acquire({ waitMs })` and the background renewals. */
  readonly clock: Clock;
  /** Lease lifetime when `acquire()` is called without `ttlMs` (the adapter's `leaseTtlMs`). */
  readonly defaultTtl: number;
  /** Renew held leases in the background every third of their lifetime. */
  readonly renewLeases: boolean;
  /** True once the adapter is disposed: no more background renewals. */
  readonly disposed: boolean;
}

/** The leases of one server adapter: its `acquire`, and giving every held lease up on `dispose`. */
export interface ServerLeases {
  /**
   * Takes `key`: the adapter's key check, `invalid-option` for a bad
   * `ttlMs`, then tries until it holds the key or `waitMs` is used up
   * (`lock-held`).
   */
  acquire(key: string, options: AcquireOptions): Promise<RenewingLease>;
  /**
   * Stops renewing every held lease and gives them all up (failures ignored),
   * with those a take in flight grants (their `acquire` rejects with
   * `closed`); later tries to take a key are refused with `closed`.
   */
  releaseAll(): Promise<void>;
}

/**
 * What the server adapters' leases share, written once: the `ttlMs` check,
 * the wait loop ({@link waitForLease}), the renewing lease and the set of
 * held leases `dispose` gives up. `adapter` names the adapter in errors;
 * `checkKey` (the adapter's, `closed` after dispose included) runs first in
 * `acquire`; `statements` are the adapter's own. Refuses a bad `defaultTtl` with
 * `invalid-option` (as `leaseTtlMs`).
 *
 * @example
 * ```ts
 * import { systemClock } from '../../src/clock.js';
 * import { checkKey } from '../../src/keys.js';
 * import { serverLeases } from './server-leases.js';
 * const settings = { clock: systemClock, defaultTtl: 30_000, renewLeases: true, disposed: false };
 * const leases = serverLeases('example', settings, (key) => checkKey(key, 'example'), {
 *   take: async (_key, ttlMs) => ({ epoch: 1, expiresAt: Date.now() + ttlMs }),
 *   extend: async (_key, _epoch, ttlMs) => Date.now() + ttlMs,
 *   free: async () => undefined,
 * });
 * const lease = await leases.acquire('order-1', { waitMs: 5_000 });
 * await leases.releaseAll();
 * ```
 */
export function serverLeases(
  adapter: string,
  o: LeaseSettings,
  checkKey: (key: string) => void,
  statements: LeaseStatements,
): ServerLeases {
  const { clock } = o;
  checkTtl(adapter, o.defaultTtl, 'leaseTtlMs');
  const held = new Set<HeldLease>();
  const lease = (key: string, epoch: number, expiresAt: number, ttlMs: number): RenewingLease =>
    renewingLease({
      adapter,
      key,
      epoch,
      expiresAt,
      ttlMs,
      renewInBackground: o.renewLeases,
      clock,
      disposed: () => o.disposed,
      held,
      extend: (ttl) => statements.extend(key, epoch, ttl),
      free: () => statements.free(key, epoch),
    });
  // Set by releaseAll (dispose): a take in flight then is waited for and its lease given up with
  // the rest, and its acquire rejects with closed; otherwise the key stayed held until the TTL ran out.
  let closing = false;
  const taking = new Set<Promise<unknown>>();
  const closed = (key: string) => new CheckpointError('closed', { key, adapter });
  const attempt = async (key: string, ttlMs: number) => {
    if (closing) throw closed(key);
    const take = statements.take(key, ttlMs);
    taking.add(take);
    try {
      const taken = await take;
      if ('holder' in taken) return taken;
      // The epoch comes from the store's head: past 2^53 (a damaged or hand-edited row) no
      // envelope can carry it, and holding it would fail every write the actor makes.
      if (!Number.isSafeInteger(taken.epoch) || taken.epoch < 1) {
        throw new CheckpointError('corrupt', {
          key,
          adapter,
          detail: `the key's fencing epoch in the store (${taken.epoch}) is no safe integer; repair its head record`,
        });
      }
      return { lease: lease(key, taken.epoch, taken.expiresAt, ttlMs) };
    } finally {
      taking.delete(take);
    }
  };
  return {
    async acquire(key, options) {
      checkKey(key);
      const ttlMs = options.ttlMs ?? o.defaultTtl;
      checkTtl(adapter, ttlMs, 'ttlMs');
      const granted = await waitForLease({
        adapter,
        key,
        waitMs: options.waitMs,
        clock,
        attempt: () => attempt(key, ttlMs),
      });
      if (closing) throw closed(key);
      return granted;
    },
    async releaseAll() {
      closing = true;
      await Promise.allSettled([...taking]);
      await releaseAll(held);
    },
  };
}
