import type { AnyActorLogic, AnyActorRef } from 'xstate';
import type { TimerHandle } from '../clock.js';
import { clockOf } from '../xstate-internals.js';
import { nowOf, type RetryRun, type RetryScope } from './types.js';

/**
 * The event the wait's timer sends the retry actor to start attempt `attempt`.
 *
 * @example
 * ```ts
 * self.send({ type: ATTEMPT, attempt: 2 });
 * ```
 */
export const ATTEMPT = 'xstate-checkpoint.retry.attempt';

interface ArmedTimer {
  readonly clear: () => void;
}
const timers = new WeakMap<AnyActorRef, ArmedTimer>();

/**
 * Starts the wait for attempt `attempt`, due at the wall-clock `retryAt`
 * (never longer than `maximumInterval`), on the policy's clock or the actor
 * system's; replaces the actor's previous wait.
 *
 * @example
 * ```ts
 * scope.defer(() => arm(run, scope, retryAt, attempt + 1));
 * ```
 */
export function arm<TLogic extends AnyActorLogic>(
  run: RetryRun<TLogic>,
  scope: RetryScope<TLogic>,
  retryAt: number,
  attempt: number,
): void {
  const { options } = run;
  const clock = options.clock ?? clockOf(scope.system);
  // Never wait longer than the policy allows, even if the wall clock went back between runs.
  const wait = Math.min(options.maximumInterval, Math.max(0, retryAt - nowOf(options)));
  const { self } = scope;
  const handle: TimerHandle = clock.setTimeout(() => {
    timers.delete(self);
    if (self.getSnapshot().status === 'active') self.send({ type: ATTEMPT, attempt });
  }, wait);
  timers.get(self)?.clear();
  timers.set(self, { clear: () => clock.clearTimeout(handle) });
}

/**
 * Cancels the actor's wait, if any.
 *
 * @example
 * ```ts
 * disarm(scope.self);
 * ```
 */
export function disarm(self: AnyActorRef): void {
  timers.get(self)?.clear();
  timers.delete(self);
}

/**
 * Forgets the actor's wait once its timer fired (the attempt it started runs).
 *
 * @example
 * ```ts
 * fired(scope.self);
 * ```
 */
export function fired(self: AnyActorRef): void {
  timers.delete(self);
}
