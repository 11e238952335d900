// The part of a BullMQ `Job` the kit uses, typed here so that nothing of `bullmq` is imported.

/**
 * What {@link processWithActor} uses of the `Job` BullMQ hands to a processor.
 * BullMQ's `Job` has all of it; a test can pass a plain object.
 *
 * @example
 * ```ts
 * import type { JobLike } from 'xstate-checkpoint/bullmq';
 * const job: JobLike<{ orderId: string }> = {
 *   id: '1',
 *   queueName: 'orders',
 *   data: { orderId: 'o-1' },
 *   updateProgress: async () => undefined,
 *   extendLock: async () => 1,
 * };
 * ```
 */
export interface JobLike<TData = unknown> {
  /** The job id: with the queue name it names the actor's checkpoints. */
  readonly id?: string | undefined;
  readonly queueName: string;
  readonly data: TData;
  /** BullMQ: `job.updateProgress(progress)`. */
  updateProgress(progress: number | object): Promise<void>;
  /**
   * BullMQ: `job.extendLock(token, duration)`; resolves `1` when the lock was
   * still this worker's and is extended, `0` when another worker (or nobody)
   * holds it.
   */
  extendLock(token: string, duration: number): Promise<number>;
}
