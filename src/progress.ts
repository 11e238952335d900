// How far durable work has come: the `progress` field of a snapshot, read and compared in one place.

/**
 * How far a durable child (a `fromResumable` batch or a
 * `withRetry` wrapper) has come. It is a plain field, `progress`, of the
 * child's snapshot: read it with {@link readProgress}, follow it with
 * `watchProgress`.
 */
export interface ProgressInfo {
  /** Items finished (a single piece of work counts 1 once it succeeded). */
  readonly done: number;
  /** Items in all, when the source knows. */
  readonly total?: number | undefined;
  /** The current attempt, 1-based (retry wrappers only). */
  readonly attempt?: number | undefined;
  /** The attempt budget; absent when unlimited (retry wrappers only). */
  readonly maxAttempts?: number | undefined;
  /** Wall-clock time (ms since 1970) of the next attempt while waiting to retry. */
  readonly retryAt?: number | undefined;
}

/**
 * The {@link ProgressInfo} of a snapshot, or `undefined` when it has none
 * (machines, promise actors). Works on live and on persisted snapshots.
 *
 * @example
 * ```ts
 * import { readProgress } from 'xstate-checkpoint/durable';
 * readProgress({ status: 'active', progress: { done: 3, total: 10 } }); // { done: 3, total: 10 }
 * ```
 */
export function readProgress(snapshot: unknown): ProgressInfo | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return undefined;
  const progress = (snapshot as { progress?: unknown }).progress;
  if (typeof progress !== 'object' || progress === null) return undefined;
  return typeof (progress as { done?: unknown }).done === 'number' ? (progress as ProgressInfo) : undefined;
}

/** Whether two progress reports say the same (compared by value: reducers build new objects). */
export function sameProgress(a: ProgressInfo, b: ProgressInfo): boolean {
  return (
    a.done === b.done &&
    a.total === b.total &&
    a.attempt === b.attempt &&
    a.maxAttempts === b.maxAttempts &&
    a.retryAt === b.retryAt
  );
}
