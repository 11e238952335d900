// Fencing across the two systems: a checkpoint is written only while the worker still holds BullMQ's job lock.
import type { CheckpointAdapter, CheckpointRecord } from '../adapter.js';
import type { Clock, TimerHandle } from '../clock.js';
import { CheckpointError } from '../errors.js';
import type { JobLike } from './job.js';

/** A job lock held by this worker: `confirm` proves it is still ours (and extends it). */
export interface JobLock {
  /**
   * Resolves when the job's lock is still held with this worker's token;
   * rejects with `fenced` otherwise (and on every later call, without asking Redis again).
   */
  confirm(): Promise<void>;
}

/**
 * The job lock of `job` as taken with `token`. `confirm` runs BullMQ's own
 * extend script (compare the token, then extend by `lockDuration`), so the
 * check is one atomic round trip to Redis.
 *
 * @example
 * ```ts
 * import { jobLock } from './job-lock.js';
 * const lock = jobLock(
 *   { id: '1', queueName: 'q', data: {}, updateProgress: async () => {}, extendLock: async () => 1 },
 *   'token-1',
 *   30_000,
 *   'bullmq:q:1',
 * );
 * await lock.confirm();
 * ```
 */
export function jobLock(job: JobLike, token: string, lockDuration: number, key: string): JobLock {
  let lost = false;
  return {
    async confirm() {
      if (!lost) {
        let held: number;
        try {
          held = await job.extendLock(token, lockDuration);
        } catch (cause) {
          // Redis unreachable: the lock cannot be proven, so nothing may be written on it.
          throw new CheckpointError('fenced', {
            key,
            adapter: 'bullmq',
            cause,
            detail: `the lock of job ${String(job.id)} could not be checked`,
          });
        }
        if (held === 1) return;
        lost = true;
      }
      throw new CheckpointError('fenced', {
        key,
        adapter: 'bullmq',
        detail: `job ${String(job.id)} of queue "${job.queueName}" is no longer locked by this worker (stalled and moved to another worker, or its lock expired)`,
      });
    },
  };
}

/**
 * `adapter` with every change of stored data (`write`, `remove`, `quarantine`)
 * preceded by `lock.confirm()`: a worker that lost its job lock writes
 * nothing, even before the adapter's own epoch fencing would refuse it (the
 * new worker may not have taken the adapter's lease yet). Everything else is
 * the adapter's own (`this` stays the adapter).
 *
 * @example
 * ```ts
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { fencedByJobLock } from './job-lock.js';
 * const adapter = fencedByJobLock(memoryAdapter(), { confirm: async () => undefined });
 * ```
 */
export function fencedByJobLock(adapter: CheckpointAdapter, lock: JobLock): CheckpointAdapter {
  const guarded = <A extends unknown[], R>(change: (...args: A) => Promise<R>) => ({
    value: async (...args: A): Promise<R> => {
      await lock.confirm();
      return change(...args);
    },
  });
  // Defined, not assigned: a frozen adapter's own members would refuse an assignment through the prototype.
  return Object.create(adapter, {
    write: guarded((key: string, record: CheckpointRecord) => adapter.write(key, record)),
    remove: guarded((key: string, seq: number) => adapter.remove(key, seq)),
    quarantine: guarded((key: string, seq: number, reason: string) => adapter.quarantine(key, seq, reason)),
  }) as CheckpointAdapter;
}

/**
 * Confirms `lock` every `everyMs` until stopped, and calls `onLost` once when
 * it is gone. Checkpoint writes confirm it too; this catches the worker that
 * has nothing to write (an actor waiting on a timer), so that it stops its
 * actor soon after it wakes up from a pause instead of firing the timer twice.
 *
 * @example
 * ```ts
 * import { systemClock } from 'xstate-checkpoint';
 * import { watchJobLock } from './job-lock.js';
 * const stop = watchJobLock({ confirm: async () => undefined }, systemClock, 10_000, console.error);
 * stop();
 * ```
 */
export function watchJobLock(
  lock: JobLock,
  clock: Clock,
  everyMs: number,
  onLost: (error: CheckpointError) => void,
): () => void {
  let stopped = false;
  let handle: TimerHandle;
  let armed = false;
  const tick = () => {
    armed = true;
    handle = clock.setTimeout(() => {
      lock.confirm().then(
        () => {
          if (!stopped) tick();
        },
        (error: CheckpointError) => {
          if (!stopped) onLost(error);
        },
      );
    }, everyMs);
    (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  tick();
  return () => {
    stopped = true;
    if (armed) clock.clearTimeout(handle);
  };
}
