import { describe, expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { fencedByJobLock, jobLock, watchJobLock } from '../../src/bullmq/job-lock.js';
import { forwardProgress } from '../../src/bullmq/progress.js';
import { manualClock } from '../helpers/manual-clock.js';

const job = (held: () => boolean) => {
  const calls: string[] = [];
  return {
    calls,
    job: {
      id: '7',
      queueName: 'q',
      data: {},
      updateProgress: async () => undefined,
      extendLock: async (token: string, duration: number) => {
        calls.push(`${token}:${duration}`);
        return held() ? 1 : 0;
      },
    },
  };
};

describe('bullmq parts', () => {
  it('jobLock confirms with the token and duration, and stays lost without asking again', async () => {
    let held = true;
    const { job: j, calls } = job(() => held);
    const lock = jobLock(j, 'tok', 900, 'k');
    await lock.confirm();
    held = false;
    const error: unknown = await lock.confirm().catch((e: unknown) => e);
    expect(isCheckpointError(error) && error.code).toBe('fenced');
    held = true; // another worker's lock now: this one never gets it back
    await expect(lock.confirm()).rejects.toThrow(/no longer locked/);
    expect(calls).toEqual(['tok:900', 'tok:900']);
  });

  it('a Redis error while confirming fences too', async () => {
    const lock = jobLock(
      { ...job(() => true).job, extendLock: () => Promise.reject(new Error('ECONNRESET')) },
      'tok',
      900,
      'k',
    );
    await expect(lock.confirm()).rejects.toThrow(/could not be checked/);
  });

  it('fencedByJobLock refuses writes, removals and quarantines once the lock is gone; reads pass', async () => {
    let held = true;
    const inner = memoryAdapter();
    const adapter = fencedByJobLock(inner, jobLock(job(() => held).job, 'tok', 900, 'k'));
    const bytes = new Uint8Array([1, 2, 3]);
    await adapter.write('k', { seq: 1, epoch: 0, createdAt: 0, byteLength: 3, bytes });
    held = false;
    await expect(adapter.write('k', { seq: 2, epoch: 0, createdAt: 0, byteLength: 3, bytes })).rejects.toThrow(
      /fenced/,
    );
    await expect(adapter.remove('k', 1)).rejects.toThrow(/fenced/);
    await expect(adapter.quarantine('k', 1, 'test')).rejects.toThrow(/fenced/);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
    expect(adapter.name).toBe(inner.name);
  });

  it('watchJobLock confirms every interval on the injected clock and reports the loss once', async () => {
    const clock = manualClock();
    let held = true;
    const { job: j, calls } = job(() => held);
    const lost: unknown[] = [];
    const stop = watchJobLock(jobLock(j, 'tok', 900, 'k'), clock, 300, (e) => lost.push(e));
    await clock.advance(900);
    expect(calls).toHaveLength(3);
    held = false;
    await clock.advance(900);
    expect(lost).toHaveLength(1);
    expect(clock.pending()).toEqual([]); // nothing left to watch
    stop();
  });

  it('forwardProgress keeps one update in flight and sends the newest of those that waited', async () => {
    const sent: unknown[] = [];
    let release!: () => void;
    const forward = forwardProgress(
      async (p) => {
        sent.push(p);
        if (sent.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      () => undefined,
    );
    forward.report({ done: 1 });
    forward.report({ done: 2 });
    forward.report({ done: 3 });
    release();
    await forward.drain();
    expect(sent).toEqual([{ done: 1 }, { done: 3 }]);
  });
});
