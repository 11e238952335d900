// One worker process of the example: takes order jobs from the queue and drives each with a
// persisted actor (checkpoints in PostgreSQL). Prints one JSON line per thing worth telling.
import { Worker } from 'bullmq';
import { isCheckpointError } from 'xstate-checkpoint';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { processWithActor } from 'xstate-checkpoint/bullmq';
import { orderMachine, type OrderJob } from './order.js';
import { bullConnection, pgConfig } from './servers.js';
import { openOrderStore } from './store.js';

/** What the parent passes (as JSON in argv[2]). */
export interface WorkerConfig {
  readonly queue: string;
  /** BullMQ's key prefix in Redis. */
  readonly prefix: string;
  /** PostgreSQL schema of the checkpoints and the store. */
  readonly schema: string;
  readonly lockDuration: number;
  readonly stalledInterval: number;
  readonly concurrency: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const say = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...line, worker: process.pid, at: Date.now() })}\n`);

const store = await openOrderStore(pgConfig(), config.schema);
const adapter = postgresAdapter({ poolConfig: { ...pgConfig(), max: 4 }, schema: config.schema });

/** The persisted emails child's cursor (items done) in a persisted snapshot, if it runs. */
function emailCursor(persisted: unknown): number | undefined {
  const children = (persisted as { children?: Record<string, { snapshot?: { cursor?: { index?: number } } }> })
    .children;
  return children?.['emails']?.snapshot?.cursor?.index;
}

const process_ = processWithActor(orderMachine(store), {
  adapter,
  lockDuration: config.lockDuration,
  // Short debounce: a step is acknowledged (durable) within 50 ms of finishing.
  persist: { debounce: { wait: 10, maxWait: 50 }, retain: { latest: 5 }, onError: () => undefined },
  onActor: (persisted, job) => {
    const { restored } = persisted;
    const snapshot = persisted.actor.getPersistedSnapshot() as { value?: unknown };
    say({
      type: 'restore',
      job: job.id,
      source: restored.source,
      seq: restored.seq,
      state: snapshot.value,
      emailsDone: emailCursor(snapshot),
    });
    // What generation `seq` holds, read back: the live actor may already be a step further.
    persisted.on('save', ({ seq }) => {
      persisted.history.load(seq).then(
        ({ snapshot }) =>
          say({
            type: 'save',
            job: job.id,
            seq,
            state: (snapshot as { value?: unknown }).value,
            emailsDone: emailCursor(snapshot),
          }),
        () => say({ type: 'save', job: job.id, seq }), // pruned already: a newer one is durable
      );
    });
    persisted.on('restore', ({ report }) => say({ type: 'started', job: job.id, timers: report.timersRestored }));
  },
});

const worker = new Worker<OrderJob>(
  config.queue,
  async (job, token, signal) => {
    try {
      return await process_(job, token, signal);
    } catch (error) {
      if (isCheckpointError(error) && error.code === 'fenced') say({ type: 'fenced', job: job.id });
      throw error;
    }
  },
  {
    connection: bullConnection(),
    prefix: config.prefix,
    concurrency: config.concurrency,
    lockDuration: config.lockDuration,
    stalledInterval: config.stalledInterval,
    // Kills are the point here: a job may stall several times and must still be retried.
    maxStalledCount: 100,
  },
);
worker.on('completed', (job, output) => say({ type: 'completed', job: job.id, output }));
worker.on('failed', (job, error) => say({ type: 'failed', job: job?.id, message: error.message }));
worker.on('error', () => undefined); // a fenced worker's refused completion lands here; the job is another's
await worker.waitUntilReady();
say({ type: 'ready' });

process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => adapter.dispose())
    .then(() => store.close())
    .finally(() => process.exit(0));
});
