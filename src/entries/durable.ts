/**
 * `xstate-checkpoint/durable`: work that survives a crash inside a persisted
 * actor. {@link fromResumable} processes items page by page and resumes after
 * the last one done; {@link withRetry} retries an actor's logic with backoff,
 * its attempts and deadlines persisted; {@link watchProgress} and
 * {@link readProgress} report how far they got. See `docs/durable-work.md`.
 *
 * @example
 * ```ts
 * import { fromPromise } from 'xstate';
 * import { withRetry } from 'xstate-checkpoint/durable';
 *
 * const charge = withRetry(
 *   fromPromise(async ({ input }: { input: { orderId: string } }) => input.orderId),
 *   { initialInterval: 1000, maximumAttempts: 5 },
 * );
 * ```
 * @packageDocumentation
 */
export { fromResumable, readProgress, resumeFrom, watchProgress } from '../resumable.js';
export type {
  AnyActorSystem,
  ProgressInfo,
  ProgressReport,
  ResumableCursor,
  ResumableEvent,
  ResumableItemArgs,
  ResumableLogic,
  ResumableOptions,
  ResumablePage,
  ResumableSnapshot,
  ResumeCapable,
} from '../resumable.js';
export { resolveRetryPolicy, retryDelay, withRetry } from '../retry.js';
export type { ResolvedRetryPolicy, RetryEvent, RetryFailure, RetryPolicy, RetrySnapshot } from '../retry.js';
