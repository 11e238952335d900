/**
 * `xstate-checkpoint/bullmq`: BullMQ jobs driven by persisted actors. Each
 * job's actor is keyed by the job id and checkpointed with the adapter's
 * lock; when a worker dies (or stalls) mid-job, BullMQ's stalled-job recovery
 * hands the job to another worker, which restores the actor from its newest
 * checkpoint (pending timers at their original deadlines, `fromResumable`
 * work at its cursor) and finishes it. `bullmq` is an optional peer: this
 * entry imports nothing of it and works with the `Job` BullMQ passes to a processor.
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { createMachine } from 'xstate';
 * import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
 * import { processWithActor } from 'xstate-checkpoint/bullmq';
 *
 * const machine = createMachine({ id: 'order', initial: 'done', states: { done: { type: 'final' } } });
 * const adapter = postgresAdapter({ connectionString: process.env.DATABASE_URL });
 * const worker = new Worker('orders', processWithActor(machine, { adapter, lockDuration: 30_000 }), {
 *   connection: { host: '127.0.0.1', port: 6379 },
 *   lockDuration: 30_000,
 * });
 * ```
 * @packageDocumentation
 */
import type { AnyActorLogic, InputFrom, OutputFrom } from 'xstate';
import type { AcquireOptions, CheckpointAdapter } from '../adapter.js';
import { fencedByJobLock, jobLock, watchJobLock } from '../bullmq/job-lock.js';
import type { JobLike } from '../bullmq/job.js';
import { actorOutcome } from '../bullmq/outcome.js';
import { defaultJobProgress, forwardProgress, type ActorProgressEvent } from '../bullmq/progress.js';
import { rewindFailed } from '../bullmq/rewind.js';
import { systemClock } from '../clock.js';
import { CheckpointError } from '../errors.js';
import { persistActor, type PersistedActor, type PersistOptions } from '../persist.js';

export type { JobLike } from '../bullmq/job.js';
export {
  removeCheckpointsOnComplete,
  type CleanupOutcome,
  type RemoveOnCompleteOptions,
  type WorkerLike,
} from '../bullmq/cleanup.js';
export type { ActorProgressEvent } from '../bullmq/progress.js';

/** Options of {@link processWithActor}. */
export interface ProcessWithActorOptions<TLogic extends AnyActorLogic, TData = unknown> {
  /** Where the checkpoints go; it must have locks (PostgreSQL, Redis). Required. */
  readonly adapter: CheckpointAdapter;
  /**
   * The Worker's `lockDuration`: give the same value. The job lock is
   * confirmed (and extended by this much) before every checkpoint write, and
   * the adapter's lease lasts as long.
   * @default 30000 (BullMQ's default)
   */
  readonly lockDuration?: number;
  /** The checkpoint key of a job. @default (job) => `bullmq:${job.queueName}:${job.id}` */
  readonly key?: (job: JobLike<TData>) => string;
  /** The actor's input. @default (job) => job.data */
  readonly input?: (job: JobLike<TData>) => InputFrom<TLogic>;
  /**
   * The job progress for a progress event of the actor (a `fromResumable`
   * or `withRetry` child); `undefined` skips the event, `false` reports none.
   * Reports are coalesced: one `updateProgress` call in flight, newest wins.
   * @default `{ actorId, done, total? }` of the event
   */
  readonly progress?: false | ((event: ActorProgressEvent, job: JobLike<TData>) => number | object | undefined);
  /** The adapter lease of the key. @default { ttlMs: lockDuration, waitMs: lockDuration } */
  readonly lease?: AcquireOptions;
  /**
   * Further `persistActor` options (debounce, retention, codec, clock,
   * migrations, schema, onEvent...). `flushOnExit` defaults to `false` here:
   * close the Worker on SIGTERM instead, which lets the job finish or stall.
   * @default {}
   */
  readonly persist?: Omit<
    PersistOptions<TLogic>,
    'key' | 'adapter' | 'lock' | 'follow' | 'journal' | 'start' | 'input'
  >;
  /**
   * Called with the restored actor before it starts (attach listeners, read
   * `persisted.restored`, send events from elsewhere). On a retry that rolled
   * a failed actor back, the actor already runs when it is called.
   */
  readonly onActor?: (persisted: PersistedActor<TLogic>, job: JobLike<TData>) => void | Promise<void>;
}

/** A BullMQ processor: pass it to `new Worker(queue, processor, options)`. */
export type ActorProcessor<TLogic extends AnyActorLogic, TData = unknown> = (
  job: JobLike<TData>,
  token?: string,
  signal?: AbortSignal,
) => Promise<OutputFrom<TLogic>>;

function checkOptions(o: ProcessWithActorOptions<AnyActorLogic, unknown>, lockDuration: number): void {
  const bad = (detail: string) => new CheckpointError('invalid-option', { adapter: 'bullmq', detail });
  if (!o || !o.adapter || typeof o.adapter.write !== 'function')
    throw bad('`adapter` is required (e.g. postgresAdapter())');
  if (!o.adapter.acquire) {
    throw bad(
      `\`adapter\` needs locks to fence a stalled worker; "${o.adapter.name}" has none (use postgres or redis)`,
    );
  }
  if (!Number.isFinite(lockDuration) || lockDuration <= 0) {
    throw bad(`\`lockDuration\` must be a positive number of ms (the Worker's), got ${String(lockDuration)}`);
  }
}

/**
 * A BullMQ processor whose jobs are persisted actors of `logic`, one per job
 * id: restored from the newest checkpoint (or started fresh with the job's
 * data as input), checkpointed with `lock: true`, the job's progress taken
 * from the actor's progress events. The job completes with the actor's output
 * and fails with its error; a retry of a failed job (BullMQ's `attempts`)
 * resumes from the newest checkpoint before the failure. A worker whose job
 * lock is gone (it stalled and
 * BullMQ gave the job to another worker) is fenced: it writes no checkpoint,
 * stops its actor and never completes the job (BullMQ refuses it too).
 *
 * @example
 * ```ts
 * import { Worker } from 'bullmq';
 * import { setup } from 'xstate';
 * import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
 * import { processWithActor } from 'xstate-checkpoint/bullmq';
 *
 * const machine = setup({ types: { input: {} as { orderId: string } } }).createMachine({
 *   id: 'order',
 *   initial: 'done',
 *   states: { done: { type: 'final' } },
 *   output: ({ context }) => context,
 * });
 * new Worker('orders', processWithActor(machine, { adapter: redisAdapter(), lockDuration: 10_000 }), {
 *   connection: { host: '127.0.0.1', port: 6379 },
 *   lockDuration: 10_000,
 * });
 * ```
 */
export function processWithActor<TLogic extends AnyActorLogic, TData = InputFrom<TLogic>>(
  logic: TLogic,
  options: ProcessWithActorOptions<TLogic, TData>,
): ActorProcessor<TLogic, TData> {
  const lockDuration = options?.lockDuration ?? 30_000;
  checkOptions(options as ProcessWithActorOptions<AnyActorLogic, unknown>, lockDuration);
  const keyOf = options.key ?? ((job: JobLike<TData>) => `bullmq:${job.queueName}:${String(job.id)}`);
  const inputOf = options.input ?? ((job: JobLike<TData>) => job.data as InputFrom<TLogic>);
  const toProgress = options.progress === false ? undefined : (options.progress ?? defaultJobProgress);
  const clock = options.persist?.clock ?? systemClock;

  return async (job, token, signal) => {
    const key = keyOf(job);
    if (typeof token !== 'string' || token.length === 0) {
      throw new CheckpointError('invalid-option', {
        key,
        adapter: 'bullmq',
        detail: 'the processor needs the lock token BullMQ passes as its second argument (call it from a Worker)',
      });
    }
    const lock = jobLock(job, token, lockDuration, key);
    const persisted = await persistActor(logic, {
      flushOnExit: false,
      ...options.persist,
      key,
      adapter: fencedByJobLock(options.adapter, lock),
      lock: options.lease ?? { ttlMs: lockDuration, waitMs: lockDuration },
      input: inputOf(job),
      start: false,
    });
    // A retry of a job whose actor failed: from the newest checkpoint before the failure (already started then).
    await rewindFailed(persisted).catch(async (error: unknown) => {
      await persisted.close().catch(() => undefined);
      throw error;
    });
    const progress = forwardProgress(
      (value) => job.updateProgress(value),
      () => undefined, // progress is advisory: a lost update never fails the job
    );
    const offProgress = toProgress
      ? persisted.on('progress', (event) => {
          const value = toProgress(event, job);
          if (value !== undefined) progress.report(value);
        })
      : () => undefined;
    const outcome = actorOutcome(persisted, signal);
    // A third of the lock's lifetime, as BullMQ renews it: a paused worker notices soon after it wakes.
    const stopWatch = watchJobLock(lock, clock, lockDuration / 3, outcome.lost);
    let finished = false;
    try {
      await options.onActor?.(persisted, job);
      persisted.start();
      const output = await outcome.done;
      await persisted.flush();
      // The final state is durable; completing needs the lock still ours (BullMQ checks the token again).
      await lock.confirm();
      finished = true;
      return output;
    } finally {
      stopWatch();
      outcome.stop();
      offProgress();
      await progress.drain();
      // A fenced worker's close cannot flush (and must not): its failure is not the job's.
      await persisted.close().catch((error: unknown) => {
        if (finished) throw error;
      });
    }
  };
}
