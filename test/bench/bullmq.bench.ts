import { mkdirSync, writeFileSync } from 'node:fs';
import { Queue, QueueEvents, Worker, type Job, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, bench, describe } from 'vitest';
import { assign, setup } from 'xstate';
import { fromResumable } from 'xstate-checkpoint/durable';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { processWithActor } from 'xstate-checkpoint/bullmq';
import { randomSuffix, redisAvailable, redisUrl } from '../server/support.js';

// Issue 18: jobs per second of BullMQ workers whose jobs are persisted actors (processWithActor,
// checkpoints in Redis with the adapter's lock, the job lock confirmed before every write)
// against the same workers checkpointing by hand with BullMQ's own `job.updateData({ lastIndex })`
// after every step. A job is STEPS steps of simulated I/O (STEP_MS_CASES). Rounds of the three
// sides take turns on the same Redis; afterAll prints the ratios (and writes test/.tmp/bench/bullmq.json).

const ready = await redisAvailable();
const STEPS = 10;
// Per step: 1 ms (a fast cache write) and 10 ms (a database or HTTP call) of simulated I/O.
const STEP_MS_CASES = [1, 10] as const;
let stepMs: number = STEP_MS_CASES[0];
const JOBS = 120;
const CONCURRENCY = 8;
const ROUNDS = 3;

type Side = 'updateData' | 'actor (default debounce)' | 'actor (every step)';
const SIDES: readonly Side[] = ['updateData', 'actor (default debounce)', 'actor (every step)'];

const step = () => new Promise<void>((resolve) => setTimeout(resolve, stepMs));
const steps = fromResumable({
  items: () => Array.from({ length: STEPS }, (_, i) => i),
  process: step,
  initial: () => 0,
  reduce: (n: number) => n + 1,
});
const machine = setup({ actors: { steps }, types: { context: {} as { done: number } } }).createMachine({
  id: 'job',
  context: { done: 0 },
  initial: 'working',
  states: {
    working: {
      invoke: {
        id: 'steps',
        src: 'steps',
        onDone: { target: 'done', actions: assign({ done: ({ event }) => event.output }) },
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => context.done,
});

/** The hand-written baseline: BullMQ's documented pattern, a checkpoint in the job's data per step. */
const byHand: Processor<{ lastIndex?: number }, number> = async (job: Job<{ lastIndex?: number }, number>) => {
  for (let i = (job.data.lastIndex ?? -1) + 1; i < STEPS; i++) {
    await step();
    await job.updateData({ lastIndex: i });
  }
  return STEPS;
};

const connection = (() => {
  const url = new URL(redisUrl());
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 6379), maxRetriesPerRequest: null };
})();
const prefix = `xsc-bench-bullmq-${randomSuffix()}`;
const adapter = ready
  ? redisAdapter({ url: redisUrl(), prefix: `${prefix}:ckpt:`, onWarning: () => undefined })
  : undefined;
const LOCK = 30_000;
const processors: Record<Side, Processor> = {
  updateData: byHand as Processor,
  'actor (default debounce)': processWithActor(machine, { adapter: adapter!, lockDuration: LOCK }) as Processor,
  'actor (every step)': processWithActor(machine, {
    adapter: adapter!,
    lockDuration: LOCK,
    persist: { debounce: { wait: 0, maxWait: 0 } },
  }) as Processor,
};

let round = 0;
/** Seconds for JOBS jobs through one Worker of `side`, from the first add to the last completion. */
async function runRound(side: Side): Promise<number> {
  const name = `bench-${++round}`;
  const queue = new Queue(name, { connection, prefix });
  const events = new QueueEvents(name, { connection, prefix });
  await events.waitUntilReady();
  let completed = 0;
  const done = new Promise<void>((resolve) =>
    events.on('completed', () => {
      if (++completed === JOBS) resolve();
    }),
  );
  const worker = new Worker(name, processors[side], {
    connection,
    prefix,
    concurrency: CONCURRENCY,
    lockDuration: LOCK,
  });
  await worker.waitUntilReady();
  const t0 = performance.now();
  await queue.addBulk(Array.from({ length: JOBS }, (_, i) => ({ name: 'job', data: {}, opts: { jobId: `j${i}` } })));
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return seconds;
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

afterAll(async () => {
  if (!ready || !adapter) return;
  try {
    const rows = [];
    for (const ms of STEP_MS_CASES) {
      stepMs = ms;
      const seconds: Record<Side, number[]> = {
        updateData: [],
        'actor (default debounce)': [],
        'actor (every step)': [],
      };
      for (let r = 0; r < ROUNDS; r++) {
        // The order rotates each round: no side always runs first on a warm or a busy machine.
        for (let j = 0; j < SIDES.length; j++) {
          const side = SIDES[(r + j) % SIDES.length]!;
          seconds[side].push(await runRound(side));
        }
      }
      const perSecond = (side: Side) => JOBS / median(seconds[side]);
      const baseline = perSecond('updateData');
      for (const side of SIDES.filter((x) => x !== 'updateData')) {
        rows.push({
          metric: `${side}, ${STEPS} steps x ${ms} ms`,
          oursJobsPerSecond: perSecond(side),
          baselineJobsPerSecond: baseline,
          baselineName: 'job.updateData per step',
          ratio: perSecond(side) / baseline,
        });
      }
    }
    console.log(
      [
        `bullmq ratios (${JOBS} jobs, concurrency ${CONCURRENCY}, median of ${ROUNDS} interleaved rounds; ratio = jobs/s ours / baseline, higher is better)`,
        ...rows.map(
          (r) =>
            `${r.metric.padEnd(40)} ${r.oursJobsPerSecond.toFixed(0)} jobs/s  updateData ${r.baselineJobsPerSecond.toFixed(0)} jobs/s  ratio ${r.ratio.toFixed(2)}x`,
        ),
      ].join('\n'),
    );
    const dir = new URL('../.tmp/bench/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      new URL('bullmq.json', dir),
      `${JSON.stringify({ node: process.version, measuredAt: new Date().toISOString(), jobs: JOBS, steps: STEPS, concurrency: CONCURRENCY, rows }, null, 2)}\n`,
    );
  } finally {
    await adapter.dispose();
    const admin = new Redis(redisUrl());
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  }
}, 600_000);

describe.skipIf(!ready)('bullmq: jobs as persisted actors vs job.updateData per step', () => {
  // The comparison runs in afterAll (whole rounds of jobs); this keeps the file a benchmark file.
  bench(
    'one job through processWithActor, in process',
    async () => {
      const job = {
        id: `single-${randomSuffix()}`,
        queueName: 'single',
        data: {},
        updateProgress: async () => undefined,
        extendLock: async () => 1,
      };
      await processors['actor (default debounce)'](job as unknown as Job, 'token');
    },
    { time: 500, iterations: 3 },
  );
});
