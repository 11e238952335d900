import { EventEmitter } from 'node:events';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { type CheckpointError } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import {
  processWithActor,
  removeCheckpointsOnComplete,
  type CleanupOutcome,
  type JobLike,
} from 'xstate-checkpoint/bullmq';
import { describeRedis } from '../helpers/servers.js';
import { randomSuffix, redisUrl } from '../server/support.js';

const bytes = new Uint8Array([1, 2, 3]);
const record = (seq: number) => ({ seq, epoch: 0, createdAt: seq, byteLength: 3, bytes });
const job = (id: string): JobLike => ({
  id,
  queueName: 'orders',
  data: {},
  updateProgress: async () => undefined,
  extendLock: async () => 1,
});

/** A Worker's `completed` event as an EventEmitter, and the cleanups' outcomes as they arrive. */
function fakeWorker() {
  const worker = new EventEmitter() as EventEmitter & {
    on(event: 'completed', listener: (job: JobLike) => void): unknown;
    off(event: 'completed', listener: (job: JobLike) => void): unknown;
  };
  const outcomes: CleanupOutcome[] = [];
  const next = () =>
    new Promise<CleanupOutcome>((resolve) => {
      const seen = outcomes.length;
      const poll = () => (outcomes.length > seen ? resolve(outcomes[seen]!) : setTimeout(poll, 1));
      poll();
    });
  return { worker, outcomes, next };
}

describe('removeCheckpointsOnComplete', () => {
  it("removes every live generation of a completed job's key and keeps quarantined ones and other keys", async () => {
    const adapter = memoryAdapter();
    for (const seq of [1, 2, 3]) await adapter.write('bullmq:orders:1', record(seq));
    await adapter.quarantine('bullmq:orders:1', 1, 'test');
    await adapter.write('bullmq:orders:2', record(1));
    const { worker, outcomes, next } = fakeWorker();
    const stop = removeCheckpointsOnComplete(worker, { adapter, onCleanup: (o) => outcomes.push(o) });
    worker.emit('completed', job('1'));
    expect(await next()).toEqual({ job: '1', key: 'bullmq:orders:1', removed: 2 });
    expect(await adapter.list('bullmq:orders:1')).toEqual([]);
    expect(await adapter.listQuarantine('bullmq:orders:1')).toHaveLength(1);
    expect((await adapter.list('bullmq:orders:2')).map((g) => g.seq)).toEqual([1]);
    stop();
    worker.emit('completed', job('2'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await adapter.list('bullmq:orders:2')).map((g) => g.seq)).toEqual([1]);
    expect(outcomes).toHaveLength(1);
  });

  it('leaves the checkpoints of a key whose lock is held (a new job under the same id runs)', async () => {
    const store = createMemoryStore();
    const adapter = memoryAdapter({ store });
    await adapter.write('bullmq:orders:1', record(1));
    // Another worker's adapter (a memory adapter's own lock is re-entrant).
    const lease = await memoryAdapter({ store }).acquire!('bullmq:orders:1', { ttlMs: 10_000 });
    const { worker, outcomes, next } = fakeWorker();
    removeCheckpointsOnComplete(worker, { adapter, onCleanup: (o) => outcomes.push(o) });
    worker.emit('completed', job('1'));
    expect(await next()).toEqual({ job: '1', key: 'bullmq:orders:1', skipped: 'lock-held' });
    expect(await adapter.list('bullmq:orders:1')).toHaveLength(1);
    await lease.release();
    worker.emit('completed', job('1'));
    expect(await next()).toEqual({ job: '1', key: 'bullmq:orders:1', removed: 1 });
  });

  it('reports a failed cleanup as a typed error and keeps what it could not remove', async () => {
    const inner = memoryAdapter();
    await inner.write('k-1', record(1));
    await inner.write('k-1', record(2));
    const adapter = {
      ...inner,
      remove: async (key: string, seq: number) => {
        if (seq === 2) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        return inner.remove(key, seq);
      },
    };
    const { worker } = fakeWorker();
    const failed = new Promise<CheckpointError>((resolve) =>
      removeCheckpointsOnComplete(worker, { adapter, key: (j) => `k-${String(j.id)}`, onError: resolve }),
    );
    worker.emit('completed', job('1'));
    const error = await failed;
    expect(error.code).toBe('io');
    expect(error.key).toBe('k-1');
    // Oldest first: what stays is the newest generation, not a gap below it.
    expect((await inner.list('k-1')).map((g) => g.seq)).toEqual([2]);
  });
});

await describeRedis('bullmq: a real Worker frees completed jobs only after BullMQ recorded them', (env) => {
  it('the checkpoints of a completed job are gone, those of a failed one stay', async () => {
    const connection = {
      host: '127.0.0.1',
      port: Number(new URL(redisUrl()).port || 6379),
      maxRetriesPerRequest: null,
    };
    const queueName = `cleanup-${randomSuffix()}`;
    const prefix = `${env.prefix}bull`;
    const adapter = redisAdapter({ url: redisUrl(), prefix: `${env.prefix}cp:` });
    const machine = createMachine({
      id: 'job',
      types: {} as { input: { fail: boolean }; context: { fail: boolean } },
      context: ({ input }) => ({ fail: input.fail }),
      initial: 'check',
      states: {
        check: { always: [{ guard: ({ context }) => context.fail, target: 'broken' }, { target: 'done' }] },
        broken: {
          entry: () => {
            throw new Error('boom');
          },
        },
        done: { type: 'final' },
      },
    });
    const queue = new Queue(queueName, { connection, prefix });
    const events = new QueueEvents(queueName, { connection, prefix });
    const worker = new Worker(queueName, processWithActor(machine, { adapter, lockDuration: 5_000 }), {
      connection,
      prefix,
      lockDuration: 5_000,
    });
    const outcomes: CleanupOutcome[] = [];
    const stop = removeCheckpointsOnComplete(worker, { adapter, onCleanup: (o) => outcomes.push(o) });
    try {
      await events.waitUntilReady();
      const ok = await queue.add('ok', { fail: false });
      const bad = await queue.add('bad', { fail: true });
      await ok.waitUntilFinished(events, 10_000);
      await expect(bad.waitUntilFinished(events, 10_000)).rejects.toThrow();
      const deadline = Date.now() + 5_000;
      while (outcomes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(outcomes).toEqual([{ job: ok.id, key: `bullmq:${queueName}:${ok.id}`, removed: expect.any(Number) }]);
      expect((outcomes[0] as { removed: number }).removed).toBeGreaterThan(0);
      expect(await adapter.list(`bullmq:${queueName}:${ok.id}`)).toEqual([]);
      expect((await adapter.list(`bullmq:${queueName}:${bad.id}`)).length).toBeGreaterThan(0);
    } finally {
      stop();
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await adapter.dispose();
    }
  }, 30_000);
});
