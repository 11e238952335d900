// `npm run demo:bullmq`: order jobs on a BullMQ queue, three worker processes, checkpoints in
// PostgreSQL. A worker is killed with SIGKILL in the middle of a batch of emails, another one in
// the middle of an unpaid order's 4 s payment window; BullMQ's stalled-job check hands both jobs
// to other workers, which restore them and finish. Exits non-zero if a check fails.
import { Queue } from 'bullmq';
import pg from 'pg';
import { startWorker, type WorkerLine, type WorkerProcess } from './cluster.js';
import type { OrderJob, OrderOutcome } from './order.js';
import { bullConnection, missingServers, pgConfig } from './servers.js';
import { openOrderStore } from './store.js';
import type { WorkerConfig } from './worker.js';

const missing = await missingServers();
if (missing) {
  console.log(`demo:bullmq skipped: it ${missing}`);
  process.exit(0);
}

const run = Math.random().toString(36).slice(2, 8);
const config: WorkerConfig = {
  queue: `orders-${run}`,
  prefix: 'xsc-demo',
  schema: `bullmq_demo_${run}`,
  // Short, so that the demo runs in seconds: a dead worker's jobs move on within about 3 s.
  lockDuration: 2000,
  stalledInterval: 1000,
  concurrency: 2,
};
const EMAILS = 12;
const PAYMENT_WINDOW_MS = 4000;
const jobs: OrderJob[] = [
  { orderId: 'order-1', emails: EMAILS, latencyMs: 120 },
  { orderId: 'order-2', emails: EMAILS, latencyMs: 60 },
  { orderId: 'order-3', emails: EMAILS, latencyMs: 60 },
  { orderId: 'order-4', emails: EMAILS, latencyMs: 60, paymentWindowMs: PAYMENT_WINDOW_MS },
];
const unpaid = 'order-4';

const t0 = Date.now();
const print = (at: number, text: string) => console.log(`  ${String(at - t0).padStart(6)} ms  ${text}`);
console.log(`\nxstate-checkpoint demo: BullMQ jobs across worker processes (queue "${config.queue}")\n`);

const store = await openOrderStore(pgConfig(), config.schema);
const queue = new Queue<OrderJob>(config.queue, { connection: bullConnection(), prefix: config.prefix });
const workers: WorkerProcess[] = [];
const holder = new Map<string, WorkerProcess>();
const acked = new Map<string, { seq: number; emailsDone: number; state: unknown }>();
const killedAt = new Map<string, { acked: { seq: number; emailsDone: number }; worker: string }>();
const restores = new Map<string, WorkerLine[]>();
const completions = new Map<string, WorkerLine[]>();
let finished!: () => void;
const allDone = new Promise<void>((resolve) => (finished = resolve));

const kill = (w: WorkerProcess, job: string, why: string) => {
  if (killedAt.has(job) || w.child.exitCode !== null || w.child.signalCode !== null) return;
  // Every unfinished job the worker holds dies with it (concurrency 2), not only the one named.
  for (const [held, by] of holder) {
    if (by !== w || completions.has(held)) continue;
    const a = acked.get(held) ?? { seq: 0, emailsDone: 0 };
    killedAt.set(held, { acked: { seq: a.seq, emailsDone: a.emailsDone }, worker: w.name });
  }
  print(Date.now(), `SIGKILL ${w.name} (${why}; no chance to flush or clean up)`);
  w.signal('SIGKILL');
  spawnWorker(); // a replacement process, as a supervisor would start
};

const onLine = (line: WorkerLine) => {
  const job = line.job ?? '';
  const w = workers.find((x) => x.name === line.name)!;
  if (line.type === 'restore') {
    holder.set(job, w);
    restores.set(job, [...(restores.get(job) ?? []), line]);
    const from =
      line['source'] === 'checkpoint'
        ? `restored from generation ${String(line['seq'])} (state "${String(line['state'])}"${
            typeof line['emailsDone'] === 'number' ? `, ${line['emailsDone']} of ${EMAILS} emails already sent` : ''
          })`
        : 'no checkpoint yet, fresh start';
    print(line.at, `${line.name} took ${job}: ${from}`);
  } else if (line.type === 'started' && Number(line['timers']) > 0) {
    print(line.at, `${line.name} re-armed ${String(line['timers'])} pending timer of ${job} at its original deadline`);
  } else if (line.type === 'save' && holder.get(job) === w) {
    const before = acked.get(job) ?? { seq: 0, emailsDone: 0, state: undefined };
    const emailsDone = Math.max(before.emailsDone, typeof line['emailsDone'] === 'number' ? line['emailsDone'] : 0);
    // Lines may come out of order (each reads its generation back); the newest generation counts.
    if (Number(line['seq']) > before.seq)
      acked.set(job, { seq: Number(line['seq']), emailsDone, state: line['state'] });
    if (job === 'order-1' && emailsDone >= 5)
      kill(w, job, `order-1 is in the middle of its emails, ${emailsDone} sent`);
    if (job === unpaid && line['state'] === 'awaitingPayment') {
      print(line.at, `${job} charged, not paid: cancelled at +${PAYMENT_WINDOW_MS} ms unless paid (acknowledged)`);
      setTimeout(() => kill(w, job, `${job} is waiting for its payment, timer pending`), 800);
    }
  } else if (line.type === 'completed') {
    completions.set(job, [...(completions.get(job) ?? []), line]);
    const out = line['output'] as OrderOutcome;
    print(line.at, `${line.name} completed ${job}: ${out.status}, ${out.emailsSent} emails`);
    if (jobs.every((j) => completions.has(j.orderId))) finished();
  } else if (line.type === 'fenced') {
    print(line.at, `${line.name} lost the lock of ${job}: fenced, wrote nothing`);
  }
};

let count = 0;
const spawnWorker = () => {
  const w = startWorker(`worker ${++count}`, config, onLine);
  workers.push(w);
  return w;
};

try {
  await Promise.all([spawnWorker(), spawnWorker(), spawnWorker()].map((w) => w.ready));
  print(
    Date.now(),
    `3 worker processes ready (lockDuration ${config.lockDuration} ms, stalledInterval ${config.stalledInterval} ms)`,
  );
  // The payment provider has already seen every order paid but the unpaid one.
  for (const j of jobs) if (j.orderId !== unpaid) await store.pay(j.orderId);
  for (const j of jobs) await queue.add('order', j, { jobId: j.orderId, attempts: 3 });
  print(Date.now(), `queued ${jobs.length} orders (reserve stock, charge, wait for payment, ${EMAILS} emails)`);
  const timeout = setTimeout(() => finished(), 60_000);
  await allDone;
  clearTimeout(timeout);
  await new Promise((resolve) => setTimeout(resolve, 300)); // a late, refused completion would show here

  const effects = await store.effects();
  const attempts = await store.attempts();
  const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait');
  const cancel = effects.find((e) => e.key === `${unpaid}:cancel`);
  const deadline = Number(cancel?.detail['deadline'] ?? 0);
  const firedAt = Number(cancel?.detail['startedAt'] ?? -Infinity);
  const redelivered = [...attempts.values()].reduce((n, a) => n + a - 1, 0);
  const expected = jobs.length * 2 + (jobs.length - 1) * EMAILS + 1;
  const checks: Array<[boolean, string]> = [
    [
      jobs.every((j) => completions.get(j.orderId)?.length === 1) && counts['completed'] === jobs.length,
      `every job completed exactly once (${counts['completed']} completed, ${counts['failed']} failed)`,
    ],
    [
      effects.length === expected && new Set(effects.map((e) => e.key)).size === effects.length,
      `every side effect landed once by its idempotency key: ${effects.length} of ${expected} (${redelivered} redelivered attempts deduplicated)`,
    ],
    ...[...killedAt].map(([job, k]): [boolean, string] => {
      const after = (restores.get(job) ?? []).filter((r) => r.name !== k.worker).at(-1);
      const seq = Number(after?.['seq'] ?? 0);
      const emails = Number(after?.['emailsDone'] ?? 0);
      return [
        after !== undefined && seq >= k.acked.seq && emails >= k.acked.emailsDone,
        `${job}: killed on ${k.worker} after generation ${k.acked.seq}; ${after?.name ?? 'no worker'} restored generation ${seq} (nothing acknowledged lost${emails > 0 ? `, the ${emails} emails sent before the kill not sent again` : ''})`,
      ];
    }),
    [
      firedAt >= deadline && firedAt - deadline < PAYMENT_WINDOW_MS,
      `${unpaid}'s payment timer fired at its original deadline (${firedAt - deadline} ms after it, not a fresh ${PAYMENT_WINDOW_MS} ms wait) and cancelled it`,
    ],
  ];
  console.log('\nChecks:');
  for (const [ok, text] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`);
  process.exitCode = checks.every(([ok]) => ok) ? 0 : 1;
} finally {
  for (const w of workers) w.signal('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await store.close();
  const admin = new pg.Client(pgConfig());
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${config.schema}" CASCADE`);
  await admin.end();
}
