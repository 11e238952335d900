import { describe, expect, it } from 'vitest';
import { CheckpointError, type Clock, type FlushInfo } from 'xstate-checkpoint';
import { WriteScheduler } from 'xstate-checkpoint/pipeline';

/** A manual clock: time moves only when the test says so. */
function manualClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    const settle = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    for (;;) {
      await settle();
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
    await settle();
  };
  return { clock, advance, timers };
}

function setup(wait = 100, maxWait = 1000) {
  const { clock, advance, timers } = manualClock();
  const writes: number[] = [];
  let version = 0;
  let hold: Promise<void> | undefined;
  let fail = 0;
  const errors: string[] = [];
  const scheduler = new WriteScheduler({
    clock,
    wait,
    maxWait,
    write: async (): Promise<FlushInfo> => {
      const captured = version; // the snapshot is captured when the write starts
      if (hold) await hold;
      if (fail > 0) {
        fail--;
        throw new CheckpointError('io', { detail: 'injected' });
      }
      writes.push(captured);
      return { seq: writes.length, byteLength: 1, durationMs: 0 };
    },
    onError: (e) => errors.push(e.code),
  });
  const change = () => {
    version++;
    scheduler.notify();
  };
  return {
    scheduler,
    change,
    advance,
    timers,
    writes,
    errors,
    hold() {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = undefined;
        release();
      };
    },
    failNext(n: number) {
      fail = n;
    },
  };
}

describe('WriteScheduler', () => {
  it('writes nothing before open, then schedules what was recorded', async () => {
    const s = setup();
    s.change();
    s.change();
    await s.advance(5000);
    expect(s.writes).toEqual([]);
    s.scheduler.open();
    await s.advance(100);
    expect(s.writes).toEqual([2]);
  });

  it('turns N changes inside the window into one write of the last snapshot', async () => {
    const s = setup();
    s.scheduler.open();
    for (let i = 0; i < 100; i++) {
      s.change();
      await s.advance(1);
    }
    await s.advance(99);
    expect(s.writes).toEqual([100]);
  });

  it('keeps one timer, however many changes arrive', () => {
    const s = setup();
    s.scheduler.open();
    for (let i = 0; i < 1000; i++) s.change();
    expect(s.timers.size).toBe(1);
  });

  // Guards notify's counting fast path: it must end with the task, a fired or
  // cancelled timer, a finished write and a state change, never leak past them.
  it('counts changes of one task with one full notify, and none after close', async () => {
    const s = setup();
    s.scheduler.open();
    for (let i = 0; i < 5; i++) s.change();
    expect(s.timers.size).toBe(1);
    await s.scheduler.close();
    expect(s.writes).toEqual([5]);
    s.change();
    expect(s.scheduler.pending).toBe(false);
    await s.advance(5000);
    expect(s.writes).toEqual([5]);
  });

  it('writes a change made in the same task right after the timer started a write', async () => {
    const s = setup();
    s.scheduler.open();
    s.change();
    const [id, timer] = [...s.timers][0]!;
    s.timers.delete(id);
    timer.fn(); // the write of version 1 starts in this task
    s.change();
    await s.advance(1000);
    expect(s.writes).toEqual([1, 2]);
    expect(s.scheduler.pending).toBe(false);
  });

  it('writes at least every maxWait under continuous changes', async () => {
    const s = setup(100, 300);
    s.scheduler.open();
    for (let t = 0; t < 1000; t += 50) {
      s.change();
      await s.advance(50);
    }
    expect(s.writes.length).toBe(3);
  });

  it('coalesces changes during a slow write into exactly one next write', async () => {
    const s = setup(10, 10);
    s.scheduler.open();
    const release = s.hold();
    s.change();
    await s.advance(10);
    for (let i = 0; i < 20; i++) {
      s.change();
      await s.advance(10);
    }
    expect(s.writes).toEqual([]);
    release();
    await s.advance(20);
    expect(s.writes).toEqual([1, 21]);
  });

  it('flush writes at once and resolves after the write', async () => {
    const s = setup(10_000, 10_000);
    s.scheduler.open();
    s.change();
    const info = await s.scheduler.flush();
    expect(info?.seq).toBe(1);
    expect(s.writes).toEqual([1]);
    expect(await s.scheduler.flush()).toEqual(info); // nothing pending: the last info
  });

  it('flush during a write waits for a second write covering later changes', async () => {
    const s = setup(10, 10);
    s.scheduler.open();
    const release = s.hold();
    s.change();
    await s.advance(10);
    s.change();
    const flushed = s.scheduler.flush();
    release();
    await flushed;
    expect(s.writes).toEqual([1, 2]);
  });

  it('reports a failure, rejects its flush, and retries on the next change after a backoff', async () => {
    const s = setup(10, 10);
    s.scheduler.open();
    s.failNext(1);
    s.change();
    await s.advance(10);
    expect(s.errors).toEqual(['io']);
    expect(s.writes).toEqual([]);
    await s.advance(10_000);
    expect(s.writes).toEqual([]); // no change, no retry
    s.change();
    await s.advance(10);
    expect(s.writes).toEqual([2]);
  });

  it('backs off after a failure before retrying', async () => {
    const s = setup(10, 10);
    s.scheduler.open();
    s.failNext(1);
    s.change();
    await s.advance(10);
    s.change(); // right after the failure: the retry waits for the 100 ms backoff
    await s.advance(50);
    expect(s.writes).toEqual([]);
    await s.advance(60);
    expect(s.writes).toEqual([2]);
  });

  it('closes: flushes what is pending and ignores later changes', async () => {
    const s = setup();
    s.scheduler.open();
    s.change();
    await s.scheduler.close();
    expect(s.writes).toEqual([1]);
    s.change();
    await s.advance(10_000);
    expect(s.writes).toEqual([1]);
    expect(s.timers.size).toBe(0);
  });

  it('halt rejects pending and later flushes with the error', async () => {
    const s = setup();
    s.scheduler.open();
    s.change();
    s.scheduler.halt(new CheckpointError('fenced'));
    await expect(s.scheduler.flush()).rejects.toMatchObject({ code: 'fenced' });
    await s.advance(10_000);
    expect(s.writes).toEqual([]);
  });

  it('refuses wait > maxWait', () => {
    expect(
      () =>
        new WriteScheduler({
          clock: manualClock().clock,
          wait: 10,
          maxWait: 5,
          write: async () => ({ seq: 1, byteLength: 0, durationMs: 0 }),
          onError: () => undefined,
        }),
    ).toThrow(expect.objectContaining({ code: 'invalid-option' }));
  });

  it('reads the clock once per task: a burst shares one time, a later task reads it again', async () => {
    const { clock, advance } = manualClock();
    let reads = 0;
    const counting: Clock = { ...clock, now: () => (reads++, clock.now()) };
    const writes: number[] = [];
    const scheduler = new WriteScheduler({
      clock: counting,
      wait: 100,
      maxWait: 1000,
      write: async () => (writes.push(clock.now()), { seq: writes.length, byteLength: 1, durationMs: 0 }),
      onError: () => undefined,
    });
    scheduler.open();
    for (let i = 0; i < 1000; i++) scheduler.notify();
    expect(reads).toBe(1);
    await advance(60); // a later task: its change moves the debounce deadline to 160
    scheduler.notify();
    expect(reads).toBe(2);
    await advance(99);
    expect(writes).toEqual([]);
    await advance(1);
    expect(writes).toEqual([160]);
  });
});
