import type { ActorLogic, AnyActorLogic, EmittedFrom, InputFrom, OutputFrom, Snapshot } from 'xstate';
import { resumeFrom, type AnyActorSystem, type ResumeCapable } from './resumable.js';
import { resolveRetryPolicy, type RetryPolicy } from './retry/policy.js';
import { settle, withProgress } from './retry/settle.js';
import { arm } from './retry/timer.js';
import { retryTransition } from './retry/transition.js';
import type { RetryEvent, RetryRun, RetrySnapshot, RetryState } from './retry/types.js';

export { resolveRetryPolicy, retryDelay, type ResolvedRetryPolicy, type RetryPolicy } from './retry/policy.js';
export type { RetryEvent, RetryFailure, RetrySnapshot } from './retry/types.js';

/**
 * Wraps invoked work (a `fromPromise`, a {@link fromResumable} batch, any
 * logic that ends in done or error) with a retry policy whose state is part
 * of the snapshot: the attempt count and the wall-clock deadline of the next
 * attempt are checkpointed with the parent, so a restart neither resets the
 * budget nor retries early. After a restore the actor waits out the rest of
 * the deadline (or tries at once if it passed).
 *
 * - An attempt cut off by a restart runs again under the same number: only
 *   attempts that ended in an error spend the budget.
 * - Wrapped {@link fromResumable} work resumes at the failed item, and a
 *   failure further on than the previous one starts a fresh budget, so the
 *   budget bounds consecutive failures of one item.
 * - When the budget is spent or `retryable` says no, the actor fails with the
 *   last error (the parent gets `xstate.error.actor.<id>`).
 *
 * @example
 * ```ts
 * import { fromPromise, setup } from 'xstate';
 * import { withRetry } from 'xstate-checkpoint/durable';
 *
 * const charge = withRetry(
 *   fromPromise(async ({ input }: { input: { orderId: string } }) => {
 *     const response = await fetch(`https://payments.example/charge/${input.orderId}`, { method: 'POST' });
 *     if (!response.ok) throw new Error(`HTTP ${response.status}`);
 *     return (await response.json()) as { receipt: string };
 *   }),
 *   { initialInterval: 1000, backoffCoefficient: 2, maximumAttempts: 5, jitter: 0.2 },
 * );
 * const machine = setup({ actors: { charge } }).createMachine({
 *   invoke: { id: 'charge', src: 'charge', input: { orderId: 'o-1' } },
 * });
 * ```
 */
export function withRetry<TLogic extends AnyActorLogic>(
  logic: TLogic,
  policy: RetryPolicy = {},
): ActorLogic<
  RetrySnapshot<OutputFrom<TLogic>, InputFrom<TLogic>>,
  RetryEvent,
  InputFrom<TLogic>,
  AnyActorSystem,
  EmittedFrom<TLogic>
> {
  const options = resolveRetryPolicy(policy);
  const run: RetryRun<TLogic> = {
    logic,
    options,
    resume: (logic as Partial<ResumeCapable>)[resumeFrom],
    maxAttempts: Number.isFinite(options.maximumAttempts) ? options.maximumAttempts : undefined,
  };
  type State = RetryState<TLogic>;

  return {
    config: logic,
    transition: (state, event, scope) => retryTransition(run, state, event, scope),
    getInitialSnapshot: (scope, input) => {
      const inner = logic.getInitialSnapshot(scope, input) as Snapshot<unknown>;
      const state = {
        status: 'active',
        output: undefined,
        error: undefined,
        input,
        attempt: 1,
        retryAt: null,
        lastError: null,
        failedAt: 0,
        inner,
      } as const;
      return settle(run, withProgress(run, state), inner, scope);
    },
    start: (state, scope) => {
      if (state.status !== 'active') return;
      if (state.retryAt !== null) arm(run, scope, state.retryAt, state.attempt + 1);
      else if (state.inner) logic.start?.(state.inner, scope);
    },
    getPersistedSnapshot: (state, persistOptions) =>
      ({
        ...state,
        inner: state.inner === null ? null : logic.getPersistedSnapshot(state.inner, persistOptions),
      }) as State,
    restoreSnapshot: (persisted, scope) => {
      const state = persisted as State;
      const inner =
        state.inner === null || state.inner === undefined
          ? null
          : ((logic.restoreSnapshot?.(state.inner, scope) ?? state.inner) as Snapshot<unknown>);
      return { ...state, inner };
    },
  };
}
