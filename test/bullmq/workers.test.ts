import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerLine } from '../../examples/bullmq-worker/cluster.js';
import type { OrderJob, OrderOutcome } from '../../examples/bullmq-worker/order.js';
import { describePostgres } from '../helpers/servers.js';
import { redisAvailable } from '../server/support.js';
import { openCluster, type Cluster } from './harness.js';

// Issue 18: BullMQ jobs driven by persisted actors across worker processes (examples/bullmq-worker),
// against the local PostgreSQL (checkpoints, side effects) and Redis (the queue).
const redisUp = await redisAvailable();
const LOCK = 1500;
const STALLED = 500;
// A dead or paused worker's job moves on within lockDuration + stalledInterval; the lease wait and a loaded machine add some.
const RECOVERY_MS = LOCK + STALLED + 4000;

const byType = (lines: readonly WorkerLine[], type: string, job?: string) =>
  lines.filter((l) => l.type === type && (job === undefined || l.job === job));

/** The newest generation `job`'s holders acknowledged before `at`, other than on `worker`. */
const ackedBefore = (lines: readonly WorkerLine[], job: string, at: number, worker: string) =>
  byType(lines, 'save', job)
    .filter((l) => l.at < at && l.name !== worker)
    .reduce(
      (best, l) => ({
        seq: Math.max(best.seq, Number(l['seq'])),
        emailsDone: Math.max(best.emailsDone, Number(l['emailsDone'] ?? 0)),
      }),
      { seq: 0, emailsDone: 0 },
    );

await describePostgres('bullmq: jobs as persisted actors across worker processes', 'bullmq', (env) => {
  describe.skipIf(!redisUp)('with Redis', () => {
    let cluster: Cluster | undefined;
    afterEach(async () => {
      await cluster?.close();
      cluster = undefined;
    });

    it(
      'N jobs over 3 workers with random SIGKILLs: each completed once, effects once, nothing acknowledged lost, timers at their deadlines',
      { timeout: 60_000 },
      async () => {
        const c = (cluster = await openCluster(env.schema, {
          lockDuration: LOCK,
          stalledInterval: STALLED,
          concurrency: 1,
        }));
        const EMAILS = 10;
        const WINDOW = 2500;
        const jobs: OrderJob[] = Array.from({ length: 8 }, (_, i) => ({
          orderId: `t1-order-${i + 1}`,
          emails: EMAILS,
          latencyMs: 40,
          // Every fourth order stays unpaid and is cancelled by its timer.
          ...(i % 4 === 3 ? { paymentWindowMs: WINDOW } : {}),
        }));
        const unpaid = new Set(jobs.filter((j) => j.paymentWindowMs !== undefined).map((j) => j.orderId));
        await Promise.all([c.spawn(), c.spawn(), c.spawn()].map((w) => w.ready));

        // Kill the worker behind a random acknowledged step, at most every 1.2 s, 3 times in all.
        const kills: Array<{ worker: string; job: string; at: number }> = [];
        let lastKill = 0;
        // Plus one kill of a worker whose job waits on its payment timer, so a timer always crosses a crash.
        let timerKilled = false;
        c.onLine((line) => {
          if (line.type !== 'save') return;
          const forced = !timerKilled && unpaid.has(line.job!) && line['state'] === 'awaitingPayment';
          if (!forced && (kills.length >= 3 || Date.now() - lastKill < 1200 || Math.random() > 0.15)) return;
          const w = c.workers.find((x) => x.name === line.name)!;
          if (w.child.exitCode !== null || w.child.signalCode !== null) return;
          if (forced) timerKilled = true;
          lastKill = Date.now();
          kills.push({ worker: w.name, job: line.job!, at: lastKill });
          w.signal('SIGKILL');
          c.spawn();
        });
        for (const j of jobs) if (!unpaid.has(j.orderId)) await c.store.pay(j.orderId);
        for (const j of jobs) await c.queue.add('order', j, { jobId: j.orderId, attempts: 3 });
        await c
          .waitFor(
            () => jobs.every((j) => byType(c.lines, 'completed', j.orderId).length > 0),
            50_000,
            'every job to complete',
          )
          .catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300)); // a second completion would show up here

        const counts = await c.queue.getJobCounts('completed', 'failed');
        const completions = jobs.map((j) => byType(c.lines, 'completed', j.orderId));
        expect(completions.map((list) => list.length)).toEqual(jobs.map(() => 1));
        expect(counts).toEqual({ completed: jobs.length, failed: 0 });
        expect(kills.some((k) => unpaid.has(k.job))).toBe(true);

        // Exactly once in effect: every expected idempotency key once, nothing else.
        const effects = await c.store.effects();
        const expected = jobs.flatMap((j) =>
          unpaid.has(j.orderId)
            ? [`${j.orderId}:reserve`, `${j.orderId}:charge`, `${j.orderId}:cancel`]
            : [
                `${j.orderId}:reserve`,
                `${j.orderId}:charge`,
                ...Array.from({ length: EMAILS }, (_, i) => `${j.orderId}:email:${i}`),
              ],
        );
        expect(effects.map((e) => e.key).sort()).toEqual(expected.sort());
        for (const [i, j] of jobs.entries()) {
          const out = completions[i]![0]!['output'] as OrderOutcome;
          expect(out).toMatchObject({ orderId: j.orderId, status: unpaid.has(j.orderId) ? 'cancelled' : 'paid' });
          expect(out.emailsSent).toBe(unpaid.has(j.orderId) ? 0 : EMAILS);
        }

        // 0 acknowledged steps lost: every restore starts from at least the newest generation (and
        // email cursor) another worker had acknowledged before it.
        for (const r of byType(c.lines, 'restore')) {
          const acked = ackedBefore(c.lines, r.job!, r.at, r.name);
          expect(Number(r['seq'] ?? 0), `${r.job} restored on ${r.name}`).toBeGreaterThanOrEqual(acked.seq);
          expect(Number(r['emailsDone'] ?? (acked.emailsDone === 0 ? 0 : EMAILS))).toBeGreaterThanOrEqual(
            acked.emailsDone,
          );
        }
        // Timers at their deadlines: never early, late only by a takeover's recovery.
        for (const e of effects.filter((x) => x.kind === 'cancel')) {
          const late = Number(e.detail['startedAt']) - Number(e.detail['deadline']);
          expect(late, e.key).toBeGreaterThanOrEqual(0);
          expect(late, e.key).toBeLessThan(RECOVERY_MS);
        }
        console.log(
          `bullmq SIGKILL run: ${jobs.length} jobs, ${kills.length} kills (${kills.map((k) => `${k.worker}/${k.job}`).join(', ')}), ${byType(c.lines, 'restore').filter((r) => r['source'] === 'checkpoint').length} restores from a checkpoint, ${effects.length} effects`,
        );
      },
    );

    it(
      'a worker paused past lockDuration (SIGSTOP) and resumed after its job moved on writes no checkpoint and does not complete the job',
      { timeout: 60_000 },
      async () => {
        const c = (cluster = await openCluster(env.schema, {
          lockDuration: LOCK,
          stalledInterval: STALLED,
          concurrency: 1,
        }));
        const job: OrderJob = { orderId: 't2-order', emails: 40, latencyMs: 40 };
        const a = c.spawn();
        await a.ready;
        await c.store.pay(job.orderId);
        await c.queue.add('order', job, { jobId: job.orderId, attempts: 3 });
        await c.waitFor(
          (l) => l.name === a.name && l.type === 'save' && Number(l['emailsDone'] ?? 0) >= 3,
          20_000,
          'A mid-batch',
        );
        a.signal('SIGSTOP');
        const b = c.spawn();
        const taken = await c.waitFor(
          (l) => l.name === b.name && l.type === 'restore',
          RECOVERY_MS + 10_000,
          'B to take the job',
        );
        await c.waitFor((l) => l.name === b.name && l.type === 'save' && l.at > taken.at, 10_000, 'B to checkpoint');
        const resumedAt = Date.now();
        a.signal('SIGCONT');
        await c.waitFor((l) => l.type === 'completed', 30_000, 'the job to complete');
        // A's lock watch runs every lockDuration / 3: give it two rounds after the resume.
        await new Promise((resolve) => setTimeout(resolve, LOCK));

        const ofA = c.lines.filter((l) => l.name === a.name && l.at >= resumedAt);
        // A write A had already sent before the pause may still report; none may be newer than what B restored.
        const lateSaves = byType(ofA, 'save').filter((l) => Number(l['seq']) > Number(taken['seq'] ?? 0));
        expect(lateSaves).toEqual([]);
        expect(byType(c.lines, 'completed').map((l) => l.name)).toEqual([b.name]);
        expect(byType(ofA, 'fenced')).toHaveLength(1);
        expect(await c.queue.getJobCounts('completed', 'failed')).toEqual({ completed: 1, failed: 0 });
        const effects = (await c.store.effects()).filter((e) => e.orderId === job.orderId);
        expect(effects.filter((e) => e.kind === 'email')).toHaveLength(job.emails);
        expect(new Set(effects.map((e) => e.key)).size).toBe(effects.length);
      },
    );
  });
});
