import type { Clock, TimerHandle } from '../../src/clock.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { pause, unrefTimer } from './clock.js';

/** A held lease as the adapter's `dispose` sees it: stop renewing, then give it up. */
export interface HeldLease {
  release(): Promise<void>;
  stop(): void;
}

/** What {@link renewingLease} needs from a server adapter. */
export interface RenewingLeaseOptions {
  /** The adapter's name, for errors. */
  readonly adapter: string;
  readonly key: string;
  readonly epoch: number;
  /** Expiry by the server's clock (ms since 1970) as the acquire returned it. */
  readonly expiresAt: number;
  readonly ttlMs: number;
  /** Renew in the background every third of the lifetime. */
  readonly renewInBackground: boolean;
  /** The adapter's clock: it times the background renewals. */
  readonly clock: Clock;
  /** True once the adapter is disposed: no more background renewals. */
  readonly disposed: () => boolean;
  /** The adapter's held leases: the lease is in it from acquire to release. */
  readonly held: Set<HeldLease>;
  /** Extends the lease on the server by `ttlMs`; the new expiry, or `undefined` when it is no longer ours. */
  readonly extend: (ttlMs: number) => Promise<number | undefined>;
  /** Gives the lease up on the server. */
  readonly free: () => Promise<void>;
}

/** A server lease: its fencing epoch, its expiry by the server's clock, and renew. */
export interface RenewingLease {
  readonly epoch: number;
  expiresAt: number;
  renew(ttlMs?: number): Promise<void>;
  release(): Promise<void>;
}

/**
 * The lease every server adapter hands out: renewed in the background (an
 * unref'd timer, every third of its lifetime) until released, fenced or the
 * adapter is disposed; `renew` rejects with `fenced` once it was taken over.
 *
 * @example
 * ```ts
 * import { systemClock } from '../../src/clock.js';
 * import { renewingLease, type HeldLease } from './lease.js';
 * const held = new Set<HeldLease>();
 * const lease = renewingLease({
 *   adapter: 'example', key: 'order-1', epoch: 1, expiresAt: Date.now() + 30_000, ttlMs: 30_000,
 *   renewInBackground: false, clock: systemClock, disposed: () => false, held,
 *   extend: async (ttl) => Date.now() + ttl,
 *   free: async () => undefined,
 * });
 * await lease.release();
 * ```
 */
export function renewingLease(o: RenewingLeaseOptions): RenewingLease {
  const { adapter, key, epoch } = o;
  let released = false;
  let timer: TimerHandle;
  let currentTtl = o.ttlMs;
  const stop = () => {
    if (timer !== undefined) o.clock.clearTimeout(timer);
    timer = undefined;
  };
  const schedule = () => {
    if (!o.renewInBackground || released || o.disposed()) return;
    timer = o.clock.setTimeout(() => {
      timer = undefined;
      lease.renew(currentTtl).then(schedule, (error: unknown) => {
        // Lost for good: writes will be fenced, nothing left to renew. Otherwise try again.
        if (!(isCheckpointError(error) && (error.code === 'fenced' || error.code === 'closed'))) schedule();
      });
    }, currentTtl / 3);
    unrefTimer(timer);
  };
  const handle: HeldLease = {
    stop,
    release: async () => {
      if (released) return;
      released = true;
      stop();
      o.held.delete(handle);
      await o.free();
    },
  };
  const lease: RenewingLease = {
    epoch,
    expiresAt: o.expiresAt,
    async renew(ttl = currentTtl) {
      checkTtl(adapter, ttl, 'ttlMs');
      if (released) throw new CheckpointError('fenced', { key, adapter, detail: 'the lease was released' });
      currentTtl = ttl;
      const until = await o.extend(ttl);
      if (until === undefined) {
        stop();
        throw new CheckpointError('fenced', {
          key,
          adapter,
          detail: `the lease at epoch ${epoch} was taken over or released`,
        });
      }
      lease.expiresAt = until;
    },
    release: handle.release,
  };
  o.held.add(handle);
  schedule();
  return lease;
}

/**
 * Stops renewing every held lease, then gives them all up (failures ignored): the
 * first step of a server adapter's `dispose`.
 *
 * @example
 * ```ts
 * import { releaseAll, type HeldLease } from './lease.js';
 * await releaseAll(new Set<HeldLease>());
 * ```
 */
export async function releaseAll(held: Set<HeldLease>): Promise<void> {
  const leases = [...held];
  for (const lease of leases) lease.stop();
  await Promise.all(leases.map((lease) => lease.release().catch(() => undefined)));
}

/**
 * Refuses a lease lifetime that is not a positive number of milliseconds with `invalid-option`.
 *
 * @example
 * ```ts
 * import { checkTtl } from './lease.js';
 * checkTtl('redis', 30_000, 'leaseTtlMs');
 * ```
 */
export function checkTtl(adapter: string, ms: number, name: string): void {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new CheckpointError('invalid-option', {
      adapter,
      detail: `${name} must be a positive number of milliseconds, got ${String(ms)}`,
    });
  }
}

/**
 * How long an `acquire` that found the lease held waits before asking again:
 * until the holder's lease expires, at most 250 ms and at most what is left of
 * `waitMs`, at least 10 ms.
 *
 * @example
 * ```ts
 * import { acquirePause } from './lease.js';
 * acquirePause(1000, 40); // 40
 * ```
 */
export const acquirePause = (remaining: number, untilExpiry: number): number =>
  Math.max(10, Math.min(remaining, untilExpiry, 250));

/** Who holds a key that one try at acquiring did not get, by the server's clock. */
export interface LeaseHolder {
  /** The holder's owner name, when the key has one. */
  readonly owner: string | undefined;
  /** When the held lease expires (ms since 1970), when it has an expiry. */
  readonly expiresAt: number | undefined;
  /** How long until then, when it has an expiry. */
  readonly untilExpiry: number | undefined;
}

/** Options of {@link waitForLease}. */
export interface WaitForLeaseOptions<L> {
  /** The adapter's name, for errors. */
  readonly adapter: string;
  readonly key: string;
  /** How long to keep trying (`acquire({ waitMs })`). @default 0 (one try) */
  readonly waitMs: number | undefined;
  /** The adapter's clock: it times the deadline and the pauses. */
  readonly clock: Clock;
  /** One try: the lease, or who holds the key. */
  readonly attempt: () => Promise<{ readonly lease: L } | { readonly holder: LeaseHolder }>;
}

/**
 * The acquire loop of the server adapters: tries, and while the key is held
 * and `waitMs` is not used up, pauses ({@link acquirePause}) on the adapter's
 * clock and tries again; then refuses with `lock-held`, naming the holder.
 *
 * @example
 * ```ts
 * import { waitForLease } from './lease.js';
 * declare const tryOnce: () => Promise<{ lease: Lease } | { holder: LeaseHolder }>;
 * const lease = await waitForLease({ adapter: 'redis', key: 'k', waitMs: 5_000, clock: systemClock, attempt: tryOnce });
 * ```
 */
export async function waitForLease<L>(o: WaitForLeaseOptions<L>): Promise<L> {
  const deadline = o.clock.now() + (o.waitMs ?? 0);
  for (;;) {
    const result = await o.attempt();
    if ('lease' in result) return result.lease;
    const { owner, expiresAt, untilExpiry } = result.holder;
    const remaining = deadline - o.clock.now();
    if (remaining <= 0) {
      throw new CheckpointError('lock-held', {
        key: o.key,
        adapter: o.adapter,
        detail: owner === undefined ? undefined : `held by ${owner} for another ${Math.max(0, untilExpiry ?? 0)} ms`,
        data: { owner, expiresAt },
      });
    }
    // A holder without an expiry is on its way out (released mid-try): look again soon.
    await pause(o.clock, acquirePause(remaining, untilExpiry ?? 50));
  }
}
