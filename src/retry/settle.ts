import type { AnyActorLogic, OutputFrom, Snapshot } from 'xstate';
import { readProgress, type ProgressInfo } from '../resumable.js';
import { retryDelay } from './policy.js';
import { arm } from './timer.js';
import { nowOf, type RetryFailure, type RetryRun, type RetryScope, type RetryState } from './types.js';

function describe(error: unknown): RetryFailure {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}

const progressOf = <TLogic extends AnyActorLogic>(
  run: RetryRun<TLogic>,
  state: Omit<RetryState<TLogic>, 'progress'>,
): ProgressInfo => {
  const { maxAttempts } = run;
  const inner = readProgress(state.inner);
  const done = inner?.done ?? (state.status === 'done' ? 1 : 0);
  const total = inner ? inner.total : 1;
  return {
    done,
    ...(total === undefined ? {} : { total }),
    attempt: state.attempt,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(state.retryAt === null ? {} : { retryAt: state.retryAt }),
  };
};

/**
 * `state` with its progress (the wrapped work's, and the attempt and its wait) filled in.
 *
 * @example
 * ```ts
 * const state = withProgress(run, { status: 'active', output: undefined, error: undefined, input, attempt: 1,
 *   retryAt: null, lastError: null, failedAt: 0, inner });
 * ```
 */
export const withProgress = <TLogic extends AnyActorLogic>(
  run: RetryRun<TLogic>,
  state: Omit<RetryState<TLogic>, 'progress'>,
): RetryState<TLogic> => ({ ...state, progress: progressOf(run, state) }) as RetryState<TLogic>;

// The wrapped snapshot is dropped once the work ended; its last progress stays.
const finish = <TLogic extends AnyActorLogic>(
  run: RetryRun<TLogic>,
  state: Omit<RetryState<TLogic>, 'progress' | 'inner'>,
  inner: Snapshot<unknown>,
): RetryState<TLogic> =>
  ({ ...state, inner: null, progress: progressOf(run, { ...state, inner }) }) as RetryState<TLogic>;

/**
 * Folds the wrapped logic's new snapshot into ours: done, failed (retry after
 * the policy's delay, or give up with the last error) or still running. A
 * resumable failure further on than the previous one starts a fresh budget.
 *
 * @example
 * ```ts
 * return settle(run, state, run.logic.transition(state.inner, event, scope), scope);
 * ```
 */
export function settle<TLogic extends AnyActorLogic>(
  run: RetryRun<TLogic>,
  state: RetryState<TLogic>,
  inner: Snapshot<unknown>,
  scope: RetryScope<TLogic>,
): RetryState<TLogic> {
  const { options, resume } = run;
  switch (inner.status) {
    case 'done':
      return finish(
        run,
        { ...state, status: 'done', output: inner.output as OutputFrom<TLogic>, error: undefined },
        inner,
      );
    case 'error': {
      const done = readProgress(inner)?.done ?? 0;
      const attempt = resume && done > state.failedAt ? 1 : state.attempt;
      if (attempt < options.maximumAttempts && options.retryable(inner.error, attempt)) {
        const retryAt = nowOf(options) + retryDelay(options, attempt, options.random());
        scope.defer(() => arm(run, scope, retryAt, attempt + 1));
        return withProgress(run, {
          ...state,
          attempt,
          retryAt,
          lastError: describe(inner.error),
          failedAt: done,
          inner: resume ? resume(inner) : null,
        });
      }
      return finish(
        run,
        {
          ...state,
          attempt,
          status: 'error',
          output: undefined,
          error: inner.error,
          lastError: describe(inner.error),
        },
        inner,
      );
    }
    default:
      return withProgress(run, { ...state, inner });
  }
}

/**
 * Starts attempt `attempt`: from the snapshot kept in place (resumable work)
 * or a fresh one of the wrapped logic, started once the transition is done.
 *
 * @example
 * ```ts
 * return begin(run, state, scope, state.attempt + 1);
 * ```
 */
export function begin<TLogic extends AnyActorLogic>(
  run: RetryRun<TLogic>,
  state: RetryState<TLogic>,
  scope: RetryScope<TLogic>,
  attempt: number,
): RetryState<TLogic> {
  const { logic } = run;
  const inner = (state.inner ?? logic.getInitialSnapshot(scope, state.input)) as Snapshot<unknown>;
  const next = settle(run, { ...state, attempt, retryAt: null, inner }, inner, scope);
  if (next.status === 'active' && next.retryAt === null && next.inner) {
    const started = next.inner;
    scope.defer(() => logic.start?.(started, scope));
  }
  return next;
}
