import type { AnyActorLogic, Snapshot } from 'xstate';
import { begin, settle } from './settle.js';
import { ATTEMPT, disarm, fired } from './timer.js';
import type { RetryEvent, RetryRun, RetryScope, RetryState } from './types.js';

const STOP = 'xstate.stop';

/**
 * The retry actor's transition: a stop ends the wait (and the running
 * attempt), the current wait's timer event starts the next attempt, and
 * every other event goes to the running attempt.
 *
 * @example
 * ```ts
 * const logic = { transition: (state, event, scope) => retryTransition(run, state, event, scope) };
 * ```
 */
export function retryTransition<TLogic extends AnyActorLogic>(
  run: RetryRun<TLogic>,
  state: RetryState<TLogic>,
  event: RetryEvent,
  scope: RetryScope<TLogic>,
): RetryState<TLogic> {
  const { logic } = run;
  if (state.status !== 'active') return state;
  if (event.type === STOP) {
    disarm(scope.self);
    const inner =
      state.retryAt === null && state.inner?.status === 'active'
        ? (logic.transition(state.inner, event, scope) as Snapshot<unknown>)
        : state.inner;
    return { ...state, status: 'stopped', output: undefined, error: undefined, inner };
  }
  if (event.type === ATTEMPT) {
    // Only the timer of the current wait may start the next attempt.
    if (state.retryAt === null || event.attempt !== state.attempt + 1) return state;
    fired(scope.self);
    return begin(run, state, scope, state.attempt + 1);
  }
  if (state.retryAt !== null || state.inner === null) return state;
  return settle(run, state, logic.transition(state.inner, event, scope) as Snapshot<unknown>, scope);
}
