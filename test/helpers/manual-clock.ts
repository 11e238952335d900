import type { Clock } from 'xstate-checkpoint';

/** A {@link Clock} whose time moves only when the test says so. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): Promise<void>;
  /** When each pending timer falls due, soonest first. */
  pending(): number[];
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/**
 * A manual clock starting at `start` (ms since 1970). Its timers fire only in
 * {@link ManualClock.advance}, with pending promise callbacks settled between
 * two of them; code that waits on real I/O between timers needs the test to
 * wait for its next timer (`vi.waitFor(() => expect(clock.pending()).toHaveLength(1))`).
 *
 * @example
 * ```ts
 * import { manualClock } from '../helpers/manual-clock.js';
 * const clock = manualClock();
 * clock.setTimeout(() => console.log('fired'), 1000);
 * await clock.advance(1000); // fired
 * ```
 */
export function manualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    pending: () => [...timers.values()].map((t) => t.at).sort((a, b) => a - b),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        await settle();
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
      await settle();
    },
  };
}

/**
 * Runs `work` to the end on `clock`: whenever a timer is pending it moves time
 * to it, otherwise it lets real I/O go on for a millisecond. Returns how the
 * work settled and how many timers it needed; work that waited on real timers
 * instead of the clock shows as 0 timers fired.
 *
 * @example
 * ```ts
 * import { driveClock, manualClock } from '../helpers/manual-clock.js';
 * const clock = manualClock();
 * const { fired } = await driveClock(clock, new Promise((resolve) => clock.setTimeout(resolve, 5000)));
 * // fired === 1, at once
 * ```
 */
export async function driveClock<T>(
  clock: ManualClock,
  work: Promise<T>,
  maxTimers = 10_000,
): Promise<{ outcome: PromiseSettledResult<T>; fired: number }> {
  let outcome: PromiseSettledResult<T> | undefined;
  void work.then(
    (value) => (outcome = { status: 'fulfilled', value }),
    (reason: unknown) => (outcome = { status: 'rejected', reason }),
  );
  let fired = 0;
  for (;;) {
    await settle();
    if (outcome) return { outcome, fired };
    const next = clock.pending()[0];
    if (next === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    if (++fired > maxTimers) throw new Error(`still running after ${maxTimers} timers`);
    await clock.advance(next - clock.now());
  }
}
