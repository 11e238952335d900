// Removing a completed job's checkpoints once BullMQ has recorded the completion.
import type { CheckpointAdapter, Lease } from '../adapter.js';
import { toCheckpointError, type CheckpointError } from '../errors.js';
import type { JobLike } from './job.js';

/** What {@link removeCheckpointsOnComplete} uses of a BullMQ `Worker`. */
export interface WorkerLike<TData = unknown> {
  on(event: 'completed', listener: (job: JobLike<TData>) => void): unknown;
  off(event: 'completed', listener: (job: JobLike<TData>) => void): unknown;
}

/** What {@link removeCheckpointsOnComplete} did with one completed job's checkpoints. */
export type CleanupOutcome =
  | { readonly job: string; readonly key: string; readonly removed: number }
  /** The key's lock is held: a new job with the same id runs; its checkpoints stay. */
  | { readonly job: string; readonly key: string; readonly skipped: 'lock-held' };

/** Options of {@link removeCheckpointsOnComplete}. */
export interface RemoveOnCompleteOptions<TData = unknown> {
  /** The adapter the processor writes to (the same one). Required. */
  readonly adapter: CheckpointAdapter;
  /** The checkpoint key of a job: the same as `processWithActor`'s. @default (job) => `bullmq:${job.queueName}:${job.id}` */
  readonly key?: (job: JobLike<TData>) => string;
  /** Called after each completed job's cleanup (a log line, a metric). @default none */
  readonly onCleanup?: (outcome: CleanupOutcome) => void;
  /** A cleanup that failed (its checkpoints stay: nothing is lost, only not freed). @default console.error */
  readonly onError?: (error: CheckpointError, job: JobLike<TData>) => void;
}

/**
 * Frees the checkpoints of jobs `processWithActor` finished: on the Worker's
 * `completed` event (BullMQ emits it after it has recorded the completion,
 * so a job that could still be retried keeps its checkpoints) every live
 * generation of the job's key is removed, oldest first, under the key's lock.
 * When the lock is held (a new job was added under the same id and runs) the
 * checkpoints stay and the outcome says `skipped`. Quarantined generations
 * stay: they are evidence, removed only by hand (`xstate-checkpoint
 * quarantine`). Failed jobs keep theirs, for a retry or a look. Returns a
 * function that stops listening.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { createMachine } from 'xstate';
 * import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
 * import { processWithActor, removeCheckpointsOnComplete } from 'xstate-checkpoint/bullmq';
 *
 * const machine = createMachine({ id: 'order', initial: 'done', states: { done: { type: 'final' } } });
 * const adapter = redisAdapter();
 * const worker = new Worker('orders', processWithActor(machine, { adapter }), {
 *   connection: { host: '127.0.0.1', port: 6379 },
 * });
 * const stop = removeCheckpointsOnComplete(worker, { adapter });
 * ```
 */
export function removeCheckpointsOnComplete<TData = unknown>(
  worker: WorkerLike<TData>,
  options: RemoveOnCompleteOptions<TData>,
): () => void {
  const { adapter } = options;
  const keyOf = options.key ?? ((job: JobLike<TData>) => `bullmq:${job.queueName}:${String(job.id)}`);
  const onError =
    options.onError ??
    ((error: CheckpointError) => console.error(`xstate-checkpoint: completed job cleanup: ${error.message}`));
  const listener = (job: JobLike<TData>) => {
    const key = keyOf(job);
    removeAll(adapter, key).then(
      (result) => options.onCleanup?.({ job: String(job.id), key, ...result }),
      (error: unknown) => onError(toCheckpointError(error, 'io', { key, adapter: adapter.name }), job),
    );
  };
  worker.on('completed', listener);
  return () => {
    worker.off('completed', listener);
  };
}

async function removeAll(
  adapter: CheckpointAdapter,
  key: string,
): Promise<{ removed: number } | { skipped: 'lock-held' }> {
  let lease: Lease | undefined;
  if (adapter.acquire) {
    try {
      lease = await adapter.acquire(key, { waitMs: 0 });
    } catch (error) {
      if (toCheckpointError(error, 'io').code === 'lock-held') return { skipped: 'lock-held' };
      throw error;
    }
  }
  try {
    const generations = await adapter.list(key);
    // Oldest first: a cleanup cut short leaves the newest generation, never a gap below it.
    const seqs = generations.map((g) => g.seq).sort((a, b) => a - b);
    for (const seq of seqs) await adapter.remove(key, seq);
    return { removed: seqs.length };
  } finally {
    await lease?.release().catch(() => undefined);
  }
}
