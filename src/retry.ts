import type {
  ActorLogic,
  ActorScope,
  AnyActorLogic,
  AnyActorRef,
  EmittedFrom,
  InputFrom,
  OutputFrom,
  Snapshot,
} from 'xstate';
import type { Clock, TimerHandle } from './clock.js';
import { CheckpointError } from './errors.js';
import { readProgress, resumeFrom } from './resumable.js';
import { clockOf } from './xstate-internals.js';
import type { AnyActorSystem, ProgressInfo, ResumeCapable } from './resumable.js';

/** When and how often {@link withRetry} tries again. Names and defaults follow Temporal's retry policy. */
export interface RetryPolicy {
  /** Wait before the second attempt, in ms. @default 1000 */
  readonly initialInterval?: number;
  /** Each wait is this many times the previous one. @default 2 */
  readonly backoffCoefficient?: number;
  /** No wait is longer than this, in ms (jitter included). @default 100 * initialInterval */
  readonly maximumInterval?: number;
  /** Attempts in all, the first included; `Infinity` for no limit. @default Infinity */
  readonly maximumAttempts?: number;
  /**
   * Spread of each wait, as a fraction: a wait `w` becomes a uniform draw from
   * `[w * (1 - jitter), w * (1 + jitter)]`, then capped at `maximumInterval`.
   * Use 0.1-0.3 when many processes retry against one service.
   * @default 0
   */
  readonly jitter?: number;
  /**
   * Whether a failure may be retried (`attempt` is the attempt that failed).
   * Return `false` for errors that will not heal (validation, 4xx).
   * @default () => true
   */
  readonly retryable?: (error: unknown, attempt: number) => boolean;
  /** Source of randomness for the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * Clock for the waits and the wall-clock deadlines. The default uses the
   * actor system's clock for timers and `Date.now()` for time, so fake timers
   * work.
   */
  readonly clock?: Clock;
}

/** {@link RetryPolicy} with every default filled in. */
export type ResolvedRetryPolicy = Required<Omit<RetryPolicy, 'clock'>> & { readonly clock: Clock | undefined };

/** The message of the last failure, kept while waiting (plain data, so any codec can store it). */
export interface RetryFailure {
  readonly name: string;
  readonly message: string;
}

/** The snapshot of a {@link withRetry} actor. Plain data; checkpointed with its parent. */
export type RetrySnapshot<TOutput, TInput> = Snapshot<TOutput> & {
  readonly input: TInput;
  /** The running attempt (1-based) or, while waiting, the attempt that failed. */
  readonly attempt: number;
  /** Wall-clock deadline (ms since 1970) of the next attempt; `null` while an attempt runs. */
  readonly retryAt: number | null;
  readonly lastError: RetryFailure | null;
  /** Items done when the last failure happened (resumable work: a failure further on starts a fresh budget). */
  readonly failedAt: number;
  /** The wrapped logic's snapshot; `null` while waiting unless the work resumes in place. */
  readonly inner: Snapshot<unknown> | null;
  readonly progress: ProgressInfo;
};

/** Events of a retry actor: its own timer event, everything else goes to the wrapped logic. */
export type RetryEvent = { type: string; [key: string]: unknown };

const ATTEMPT = 'xstate-checkpoint.retry.attempt';
const STOP = 'xstate.stop';

interface ArmedTimer {
  readonly clear: () => void;
}
const timers = new WeakMap<AnyActorRef, ArmedTimer>();

/**
 * Fills in and checks a {@link RetryPolicy}. Throws `invalid-option`.
 *
 * @example
 * ```ts
 * import { resolveRetryPolicy } from 'xstate-checkpoint/durable';
 * resolveRetryPolicy({ initialInterval: 200 }).maximumInterval; // 20000
 * ```
 */
export function resolveRetryPolicy(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  const initialInterval = policy.initialInterval ?? 1000;
  const resolved: ResolvedRetryPolicy = {
    initialInterval,
    backoffCoefficient: policy.backoffCoefficient ?? 2,
    maximumInterval: policy.maximumInterval ?? 100 * initialInterval,
    maximumAttempts: policy.maximumAttempts ?? Infinity,
    jitter: policy.jitter ?? 0,
    retryable: policy.retryable ?? (() => true),
    random: policy.random ?? Math.random,
    clock: policy.clock,
  };
  const fail = (detail: string) => new CheckpointError('invalid-option', { detail: `withRetry: ${detail}` });
  if (!Number.isFinite(resolved.initialInterval) || resolved.initialInterval < 0) {
    throw fail(`initialInterval must be a finite number >= 0, got ${String(resolved.initialInterval)}`);
  }
  if (!Number.isFinite(resolved.backoffCoefficient) || resolved.backoffCoefficient < 1) {
    throw fail(`backoffCoefficient must be a finite number >= 1, got ${String(resolved.backoffCoefficient)}`);
  }
  if (!(resolved.maximumInterval >= resolved.initialInterval) || !Number.isFinite(resolved.maximumInterval)) {
    throw fail(`maximumInterval must be finite and >= initialInterval, got ${String(resolved.maximumInterval)}`);
  }
  const max = resolved.maximumAttempts;
  if (!(max === Infinity || (Number.isInteger(max) && max >= 1))) {
    throw fail(`maximumAttempts must be an integer >= 1 or Infinity, got ${String(max)}`);
  }
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) {
    throw fail(`jitter must be between 0 and 1, got ${String(resolved.jitter)}`);
  }
  return resolved;
}

/**
 * The wait in ms after attempt `failedAttempt` (1-based) failed:
 * `initialInterval * backoffCoefficient^(failedAttempt - 1)`, capped at
 * `maximumInterval`, spread by `jitter` using `random` (a number in [0, 1)),
 * capped again and rounded to whole ms.
 *
 * @example
 * ```ts
 * import { resolveRetryPolicy, retryDelay } from 'xstate-checkpoint/durable';
 * const policy = resolveRetryPolicy({ initialInterval: 100, maximumInterval: 1000 });
 * [1, 2, 3, 4, 5].map((n) => retryDelay(policy, n, 0.5)); // [100, 200, 400, 800, 1000]
 * ```
 */
export function retryDelay(policy: ResolvedRetryPolicy, failedAttempt: number, random: number): number {
  const base = Math.min(
    policy.maximumInterval,
    policy.initialInterval * policy.backoffCoefficient ** (failedAttempt - 1),
  );
  const spread = base * (1 + policy.jitter * (2 * random - 1));
  return Math.round(Math.min(policy.maximumInterval, Math.max(0, spread)));
}

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
  const resume = (logic as Partial<ResumeCapable>)[resumeFrom];
  const maxAttempts = Number.isFinite(options.maximumAttempts) ? options.maximumAttempts : undefined;
  type State = RetrySnapshot<OutputFrom<TLogic>, InputFrom<TLogic>>;
  type Scope = ActorScope<State, RetryEvent, AnyActorSystem, EmittedFrom<TLogic>>;

  const now = () => (options.clock ? options.clock.now() : Date.now());

  const progressOf = (state: Omit<State, 'progress'>): ProgressInfo => {
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
  const withProgress = (state: Omit<State, 'progress'>): State => ({ ...state, progress: progressOf(state) }) as State;

  const arm = (scope: Scope, retryAt: number, attempt: number) => {
    const clock = options.clock ?? clockOf(scope.system);
    // Never wait longer than the policy allows, even if the wall clock went back between runs.
    const wait = Math.min(options.maximumInterval, Math.max(0, retryAt - now()));
    const { self } = scope;
    const handle: TimerHandle = clock.setTimeout(() => {
      timers.delete(self);
      if (self.getSnapshot().status === 'active') self.send({ type: ATTEMPT, attempt });
    }, wait);
    timers.get(self)?.clear();
    timers.set(self, { clear: () => clock.clearTimeout(handle) });
  };
  const disarm = (self: AnyActorRef) => {
    timers.get(self)?.clear();
    timers.delete(self);
  };

  // The wrapped snapshot is dropped once the work ended; its last progress stays.
  const finish = (state: Omit<State, 'progress' | 'inner'>, inner: Snapshot<unknown>): State =>
    ({ ...state, inner: null, progress: progressOf({ ...state, inner }) }) as State;

  // Folds the wrapped logic's new snapshot into ours: done, failed (retry or give up) or still running.
  const settle = (state: State, inner: Snapshot<unknown>, scope: Scope): State => {
    switch (inner.status) {
      case 'done':
        return finish(
          { ...state, status: 'done', output: inner.output as OutputFrom<TLogic>, error: undefined },
          inner,
        );
      case 'error': {
        const done = readProgress(inner)?.done ?? 0;
        const attempt = resume && done > state.failedAt ? 1 : state.attempt;
        if (attempt < options.maximumAttempts && options.retryable(inner.error, attempt)) {
          const retryAt = now() + retryDelay(options, attempt, options.random());
          scope.defer(() => arm(scope, retryAt, attempt + 1));
          return withProgress({
            ...state,
            attempt,
            retryAt,
            lastError: describe(inner.error),
            failedAt: done,
            inner: resume ? resume(inner) : null,
          });
        }
        return finish(
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
        return withProgress({ ...state, inner });
    }
  };

  const begin = (state: State, scope: Scope, attempt: number): State => {
    const inner = (state.inner ?? logic.getInitialSnapshot(scope, state.input)) as Snapshot<unknown>;
    const next = settle({ ...state, attempt, retryAt: null, inner }, inner, scope);
    if (next.status === 'active' && next.retryAt === null && next.inner) {
      const started = next.inner;
      scope.defer(() => logic.start?.(started, scope));
    }
    return next;
  };

  return {
    config: logic,
    transition: (state, event, scope) => {
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
        timers.delete(scope.self);
        return begin(state, scope, state.attempt + 1);
      }
      if (state.retryAt !== null || state.inner === null) return state;
      return settle(state, logic.transition(state.inner, event, scope) as Snapshot<unknown>, scope);
    },
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
      return settle(withProgress(state), inner, scope);
    },
    start: (state, scope) => {
      if (state.status !== 'active') return;
      if (state.retryAt !== null) arm(scope, state.retryAt, state.attempt + 1);
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

function describe(error: unknown): RetryFailure {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}
