import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';

/**
 * The adapter's clock from its options: `clock` when given, else the system
 * clock with the deprecated `now` option (when given) as its `now()`.
 *
 * @example
 * ```ts
 * import { adapterClock } from './clock.js';
 * adapterClock({ now: () => 0 }).now(); // 0
 * ```
 */
export function adapterClock(options: { readonly clock?: Clock; readonly now?: () => number }): Clock {
  if (options.clock) return options.clock;
  const now = options.now;
  return now ? { ...systemClock, now: () => now() } : systemClock;
}

/**
 * Lets the process exit while only `handle` is pending (Node timers; a no-op
 * for browser timers and fake clocks without `unref`).
 *
 * @example
 * ```ts
 * import { systemClock } from '../../src/clock.js';
 * import { unrefTimer } from './clock.js';
 * unrefTimer(systemClock.setTimeout(() => undefined, 1000));
 * ```
 */
export function unrefTimer(handle: TimerHandle): void {
  (handle as { unref?: () => void } | null | undefined)?.unref?.();
}

/**
 * Resolves after `ms` by `clock`. Kept referenced unless `unref`: a write being
 * retried is what keeps a batch job alive until it lands or fails.
 *
 * @example
 * ```ts
 * import { systemClock } from '../../src/clock.js';
 * import { pause } from './clock.js';
 * await pause(systemClock, 10);
 * ```
 */
export function pause(clock: Clock, ms: number, unref = false): Promise<void> {
  return new Promise<void>((resolve) => {
    const handle = clock.setTimeout(resolve, ms);
    if (unref) unrefTimer(handle);
  });
}
