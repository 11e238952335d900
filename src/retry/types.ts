import type { ActorScope, AnyActorLogic, EmittedFrom, InputFrom, OutputFrom, Snapshot } from 'xstate';
import type { AnyActorSystem, ProgressInfo, ResumeCapable } from '../resumable.js';
import type { resumeFrom } from '../resumable.js';
import type { ResolvedRetryPolicy } from './policy.js';

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

/**
 * The snapshot of `withRetry(logic)`.
 *
 * @example
 * ```ts
 * type ChargeState = RetryState<typeof charge>; // RetrySnapshot<output, input>
 * ```
 */
export type RetryState<TLogic extends AnyActorLogic> = RetrySnapshot<OutputFrom<TLogic>, InputFrom<TLogic>>;

/**
 * The scope `withRetry(logic)`'s methods run in.
 *
 * @example
 * ```ts
 * const retryAt = (scope: RetryScope<typeof charge>) => scope.self.getSnapshot().retryAt;
 * ```
 */
export type RetryScope<TLogic extends AnyActorLogic> = ActorScope<
  RetryState<TLogic>,
  RetryEvent,
  AnyActorSystem,
  EmittedFrom<TLogic>
>;

/**
 * What every part of one `withRetry` logic shares: the wrapped logic, the
 * policy with its defaults, and how that logic resumes a failed snapshot
 * (when it is resumable work).
 *
 * @example
 * ```ts
 * const run: RetryRun<typeof charge> = { logic: charge, options: resolveRetryPolicy(), resume: undefined, maxAttempts: undefined };
 * ```
 */
export interface RetryRun<TLogic extends AnyActorLogic> {
  readonly logic: TLogic;
  readonly options: ResolvedRetryPolicy;
  /** The wrapped logic's {@link resumeFrom}, when it has one. */
  readonly resume: ResumeCapable[typeof resumeFrom] | undefined;
  /** `maximumAttempts` when it is finite (progress reports it). */
  readonly maxAttempts: number | undefined;
}

/**
 * The wall clock of the deadlines: the policy's clock, or `Date.now()`.
 *
 * @example
 * ```ts
 * const retryAt = nowOf(run.options) + 1000;
 * ```
 */
export const nowOf = (options: ResolvedRetryPolicy): number => (options.clock ? options.clock.now() : Date.now());
