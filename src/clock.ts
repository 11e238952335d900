/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time as the kit sees it: wall-clock `now()` for deadlines and timestamps,
 * and timers for debouncing. Inject one in tests (or use fake timers with the
 * default, which reads the globals on every call).
 *
 * @example
 * ```ts
 * import type { Clock } from 'xstate-checkpoint';
 * let now = 0;
 * const manual: Clock = {
 *   now: () => now,
 *   setTimeout: (fn, ms) => setTimeout(fn, ms),
 *   clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
 * };
 * ```
 */
export interface Clock {
  /** Milliseconds since 1970, like `Date.now()`. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The default clock. Each call goes through the globals at call time, so
 * fake timers installed after import are honoured.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
