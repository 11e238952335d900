import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assign, createMachine, setup, fromPromise, sendTo, type AnyActorLogic } from 'xstate';
import {
  isCheckpointError,
  persistActor,
  type CheckpointAdapter,
  type CheckpointEvent,
  type CheckpointRecord,
} from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { codeOf } from '../helpers/errors.js';

const counter = createMachine({
  id: 'counter',
  context: { count: 0, at: new Date(0) },
  initial: 'idle',
  states: {
    idle: {
      on: {
        INC: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        GO: 'busy',
      },
    },
    busy: { after: { 5000: 'idle' }, on: { INC: { actions: assign({ count: ({ context }) => context.count + 10 }) } } },
  },
});

/** Wraps an adapter, recording writes and letting a test hold or fail them. */
function spyAdapter(inner: CheckpointAdapter = memoryAdapter()) {
  const writes: CheckpointRecord[] = [];
  let gate: Promise<void> | undefined;
  let failNext = 0;
  const adapter: CheckpointAdapter = {
    ...inner,
    name: inner.name,
    capabilities: inner.capabilities,
    list: (k) => inner.list(k),
    read: (k, s) => inner.read(k, s),
    remove: (k, s) => inner.remove(k, s),
    keys: () => inner.keys(),
    quarantine: (k, s, r) => inner.quarantine(k, s, r),
    listQuarantine: (k) => inner.listQuarantine(k),
    readQuarantined: (k, i) => inner.readQuarantined(k, i),
    deleteQuarantined: (k, i) => inner.deleteQuarantined(k, i),
    dispose: () => inner.dispose(),
    async write(key, record) {
      if (gate) await gate;
      if (failNext > 0) {
        failNext--;
        const { CheckpointError } = await import('xstate-checkpoint');
        throw new CheckpointError('io', { key, adapter: 'spy', detail: 'injected failure' });
      }
      await inner.write(key, record);
      writes.push(record);
    },
  };
  return {
    adapter,
    writes,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    fail(n: number) {
      failNext = n;
    },
  };
}

describe('persistActor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts fresh, writes the first generation, and restores into a new actor', async () => {
    const store = createMemoryStore();
    const p1 = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(p1.restored.source).toBe('fresh');
    p1.actor.send({ type: 'INC' });
    p1.actor.send({ type: 'INC' });
    const info = await p1.flush();
    expect(info?.seq).toBe(1); // the fresh start and both changes coalesce into the first generation
    await p1.close();

    const p2 = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(p2.restored).toMatchObject({ source: 'checkpoint', seq: info!.seq, storedVersion: 1, rejected: [] });
    expect(p2.actor.getSnapshot().context.count).toBe(2);
    expect(p2.actor.getSnapshot().context.at).toEqual(new Date(0));
    await p2.close();
  });

  it('debounces N changes in a window into one write carrying the last snapshot', async () => {
    const spy = spyAdapter();
    const p = await persistActor(counter, {
      key: 'c',
      adapter: spy.adapter,
      flushOnExit: false,
      debounce: { wait: 100, maxWait: 1000 },
    });
    await vi.advanceTimersByTimeAsync(200);
    const before = spy.writes.length; // the fresh generation
    for (let i = 0; i < 50; i++) p.actor.send({ type: 'INC' });
    await vi.advanceTimersByTimeAsync(99);
    expect(spy.writes.length).toBe(before);
    await vi.advanceTimersByTimeAsync(2);
    expect(spy.writes.length).toBe(before + 1);
    const last = await p.history.load(spy.writes.at(-1)!.seq);
    expect((last.snapshot as { context: { count: number } }).context.count).toBe(50);
    await p.close();
  });

  it('writes at least every maxWait under continuous changes', async () => {
    const spy = spyAdapter();
    const p = await persistActor(counter, {
      key: 'c',
      adapter: spy.adapter,
      flushOnExit: false,
      debounce: { wait: 100, maxWait: 500 },
    });
    await vi.advanceTimersByTimeAsync(200);
    const before = spy.writes.length;
    const firstChange = Date.now();
    for (let t = 0; t < 2000; t += 50) {
      p.actor.send({ type: 'INC' });
      await vi.advanceTimersByTimeAsync(50);
    }
    // 2000 ms of changes every 50 ms: a plain debounce would never fire; maxWait writes every 500 ms.
    const written = spy.writes.slice(before).map((w) => w.createdAt - firstChange);
    expect(written).toEqual([500, 1000, 1500, 2000]);
    await p.close();
  });

  it('keeps one write in flight and coalesces changes made meanwhile into the next', async () => {
    const spy = spyAdapter();
    const p = await persistActor(counter, {
      key: 'c',
      adapter: spy.adapter,
      flushOnExit: false,
      debounce: { wait: 10, maxWait: 10 },
    });
    await p.flush();
    const before = spy.writes.length;
    const release = spy.hold();
    p.actor.send({ type: 'INC' });
    await vi.advanceTimersByTimeAsync(20); // write 1 starts and blocks
    for (let i = 0; i < 10; i++) {
      p.actor.send({ type: 'INC' });
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(spy.writes.length).toBe(before);
    release();
    await vi.advanceTimersByTimeAsync(50);
    await p.flush();
    expect(spy.writes.length).toBe(before + 2);
    const last = await p.history.load(spy.writes.at(-1)!.seq);
    expect((last.snapshot as { context: { count: number } }).context.count).toBe(11);
    await p.close();
  });

  it('flush resolves only once the write is durable', async () => {
    const spy = spyAdapter();
    const p = await persistActor(counter, { key: 'c', adapter: spy.adapter, flushOnExit: false });
    await p.flush();
    const release = spy.hold();
    p.actor.send({ type: 'INC' });
    let done = false;
    const flushed = p.flush().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(5000);
    expect(done).toBe(false);
    release();
    await flushed;
    expect(done).toBe(true);
    await p.close();
  });

  it('never writes after close, and close writes what is pending', async () => {
    const spy = spyAdapter();
    const p = await persistActor(counter, { key: 'c', adapter: spy.adapter, flushOnExit: false });
    p.actor.send({ type: 'INC' });
    await p.close();
    const n = spy.writes.length;
    const last = spy.writes.at(-1)!;
    expect(n).toBe(1); // the fresh start and the change, written once by close
    await vi.advanceTimersByTimeAsync(10_000);
    expect(spy.writes.length).toBe(n);
    expect(p.actor.getSnapshot().status).toBe('stopped');
    // The last generation is the running state, never a stopped snapshot.
    const p2 = await persistActor(counter, { key: 'c', adapter: spy.adapter, flushOnExit: false });
    expect(p2.restored.seq).toBe(last.seq);
    expect(p2.actor.getSnapshot().status).toBe('active');
    expect(p2.actor.getSnapshot().context.count).toBe(1);
    await p2.close();
  });

  it('reports a failed write, keeps the actor running, and retries on the next change', async () => {
    const spy = spyAdapter();
    const errors: string[] = [];
    const events: CheckpointEvent[] = [];
    const p = await persistActor(counter, {
      key: 'c',
      adapter: spy.adapter,
      flushOnExit: false,
      onError: (e) => errors.push(e.code),
      onEvent: (e) => events.push(e),
    });
    await p.flush();
    spy.fail(1);
    p.actor.send({ type: 'INC' });
    await vi.advanceTimersByTimeAsync(200);
    expect(errors).toEqual(['io']);
    expect(events.some((e) => e.type === 'save-error')).toBe(true);
    p.actor.send({ type: 'INC' });
    expect(p.actor.getSnapshot().context.count).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    const info = await p.flush();
    const last = await p.history.load(info!.seq);
    expect((last.snapshot as { context: { count: number } }).context.count).toBe(2);
    await p.close();
  });

  it('flush rejects with the typed error when the write fails', async () => {
    const spy = spyAdapter();
    const p = await persistActor(counter, {
      key: 'c',
      adapter: spy.adapter,
      flushOnExit: false,
      onError: () => undefined,
    });
    await p.flush();
    spy.fail(1);
    p.actor.send({ type: 'INC' });
    const error = await p.flush().catch((e: unknown) => e);
    expect(isCheckpointError(error) && error.code).toBe('io');
    await p.close();
  });

  it('restores a pending delayed transition with its original deadline', async () => {
    const store = createMemoryStore();
    vi.setSystemTime(1_000_000);
    const p1 = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
    p1.actor.send({ type: 'GO' });
    await vi.advanceTimersByTimeAsync(2000);
    await p1.flush();
    // Simulate a crash: the actor is dropped without close.
    p1.actor.stop();

    const p2 = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(p2.restored.timersRestored).toBe(1);
    expect(p2.actor.getSnapshot().value).toBe('busy');
    await vi.advanceTimersByTimeAsync(2900);
    expect(p2.actor.getSnapshot().value).toBe('busy');
    await vi.advanceTimersByTimeAsync(200);
    expect(p2.actor.getSnapshot().value).toBe('idle');
    await p2.close();
  });

  it('fires a delayed transition at once when its deadline passed while down', async () => {
    const store = createMemoryStore();
    const p1 = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
    p1.actor.send({ type: 'GO' });
    await p1.flush();
    p1.actor.stop();
    vi.setSystemTime(Date.now() + 60_000);
    const p2 = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(p2.actor.getSnapshot().value).toBe('busy');
    await vi.advanceTimersByTimeAsync(1);
    expect(p2.actor.getSnapshot().value).toBe('idle');
    await p2.close();
  });

  it('checkpoints when only a child actor changes', async () => {
    const child = createMachine({
      id: 'child',
      context: { pings: 0 },
      on: { PING: { actions: assign({ pings: ({ context }) => context.pings + 1 }) } },
    });
    const parent = setup({ actors: { child } }).createMachine({
      id: 'parent',
      invoke: { src: 'child', id: 'kid' },
      on: { FORWARD: { actions: sendTo('kid', { type: 'PING' }) } },
    });
    const spy = spyAdapter();
    const p = await persistActor(parent, { key: 'p', adapter: spy.adapter, flushOnExit: false });
    await p.flush();
    const before = spy.writes.length;
    const kid = p.actor.getSnapshot().children['kid']!;
    kid.send({ type: 'PING' });
    await vi.advanceTimersByTimeAsync(200);
    expect(spy.writes.length).toBe(before + 1);
    const loaded = await p.history.load(spy.writes.at(-1)!.seq);
    const snap = loaded.snapshot as { children: { kid: { snapshot: { context: { pings: number } } } } };
    expect(snap.children.kid.snapshot.context.pings).toBe(1);
    await p.close();
  });

  it('emits restore and save events with durations and byte counts', async () => {
    const events: CheckpointEvent[] = [];
    const p = await persistActor(counter, {
      key: 'c',
      adapter: memoryAdapter(),
      flushOnExit: false,
      onEvent: (e) => events.push(e),
    });
    const off = p.on('save', () => undefined);
    p.actor.send({ type: 'INC' });
    await p.flush();
    off();
    const save = events.find((e) => e.type === 'save');
    expect(events[0]?.type).toBe('restore');
    expect(save).toMatchObject({ type: 'save', key: 'c' });
    expect(save && save.type === 'save' && save.byteLength).toBeGreaterThan(20);
    await p.close();
  });

  it('prunes to retain.latest, keeping the newest', async () => {
    const adapter = memoryAdapter();
    const p = await persistActor(counter, { key: 'c', adapter, flushOnExit: false, retain: { latest: 2 } });
    for (let i = 0; i < 5; i++) {
      p.actor.send({ type: 'INC' });
      await p.flush();
    }
    const gens = await adapter.list('c');
    expect(gens).toHaveLength(2);
    const newest = await p.history.load(gens[0]!.seq);
    expect((newest.snapshot as { context: { count: number } }).context.count).toBe(5);
    await p.close();
  });

  it('rolls back by writing an older generation as a new one and restarting the actor', async () => {
    const adapter = memoryAdapter();
    const p = await persistActor(counter, { key: 'c', adapter, flushOnExit: false, retain: { latest: 10 } });
    p.actor.send({ type: 'INC' });
    const one = await p.flush();
    p.actor.send({ type: 'INC' });
    p.actor.send({ type: 'INC' });
    await p.flush();
    const info = await p.history.rollback(one!.seq);
    expect(info.seq).toBeGreaterThan(one!.seq);
    expect(p.actor.getSnapshot().context.count).toBe(1);
    expect((await p.history.list()).map((g) => g.seq)).toContain(one!.seq);
    p.actor.send({ type: 'INC' });
    await p.flush();
    expect((await p.history.load((await p.history.list())[0]!.seq)).snapshot).toMatchObject({ context: { count: 2 } });
    await p.close();
  });

  /** A memory store with room for `room` generations: writes beyond it fail with storage-full. */
  const tinyStore = (room: number) => {
    const inner = memoryAdapter();
    let full = 0;
    const adapter: CheckpointAdapter = {
      ...inner,
      async write(key, record) {
        if ((await inner.list(key)).length >= room) {
          full++;
          const { CheckpointError } = await import('xstate-checkpoint');
          throw new CheckpointError('storage-full', { key, adapter: 'tiny' });
        }
        return inner.write(key, record);
      },
    };
    return { inner, adapter, fullCount: () => full };
  };
  const countOf = async (p: { history: { load(seq: number): Promise<{ snapshot: unknown }> } }, seq: number) =>
    ((await p.history.load(seq)).snapshot as { context: { count: number } }).context.count;

  it('on storage-full deletes nothing by default: every generation retention keeps stays (issue 12)', async () => {
    const { inner, adapter, fullCount } = tinyStore(3);
    const events: CheckpointEvent[] = [];
    const p = await persistActor(counter, {
      key: 'c',
      adapter,
      flushOnExit: false,
      retain: { latest: 5 },
      onEvent: (e) => events.push(e),
      onError: () => undefined,
    });
    for (let i = 0; i < 3; i++) {
      p.actor.send({ type: 'INC' });
      await p.flush();
    }
    p.actor.send({ type: 'INC' });
    await expect(p.flush()).rejects.toMatchObject({ code: 'storage-full' });
    expect(fullCount()).toBeGreaterThan(0);
    const gens = await inner.list('c');
    expect(gens).toHaveLength(3);
    expect(await Promise.all(gens.map((g) => countOf(p, g.seq)))).toEqual([3, 2, 1]);
    expect(events.some((e) => e.type === 'prune')).toBe(false);
    expect(events.some((e) => e.type === 'save-error' && e.error.code === 'storage-full')).toBe(true);
    await p.close().catch(() => undefined);
  });

  it("with retain.onFull 'drop-oldest' drops the oldest generations one at a time until the new state fits", async () => {
    const { inner, adapter } = tinyStore(3);
    const events: CheckpointEvent[] = [];
    const p = await persistActor(counter, {
      key: 'c',
      adapter,
      flushOnExit: false,
      retain: { latest: 5, onFull: 'drop-oldest' },
      onEvent: (e) => events.push(e),
    });
    for (let i = 0; i < 5; i++) {
      p.actor.send({ type: 'INC' });
      await p.flush();
    }
    const gens = await inner.list('c');
    // Room for three: each full save dropped exactly one (the oldest), never more.
    expect(await Promise.all(gens.map((g) => countOf(p, g.seq)))).toEqual([5, 4, 3]);
    const pruned = events.flatMap((e) => (e.type === 'prune' ? e.removed : []));
    expect(pruned).toHaveLength(2);
    expect(events.some((e) => e.type === 'save-error')).toBe(false);
    await p.close();
  });

  it("with retain.onFull 'drop-oldest' never removes the newest durable generation, even when the save still fails", async () => {
    const { inner, adapter } = tinyStore(1);
    const p = await persistActor(counter, {
      key: 'c',
      // Room for one: once the first generation is there, no removal makes room.
      adapter,
      flushOnExit: false,
      retain: { latest: 5, onFull: 'drop-oldest' },
      onError: () => undefined,
    });
    p.actor.send({ type: 'INC' });
    await p.flush();
    p.actor.send({ type: 'INC' });
    await expect(p.flush()).rejects.toMatchObject({ code: 'storage-full' });
    const gens = await inner.list('c');
    expect(gens).toHaveLength(1);
    expect(await countOf(p, gens[0]!.seq)).toBe(1);
    await p.close().catch(() => undefined);
  });

  it("writes past a fenced writer's leftovers when the adapter's conflict names data.nextSeq, and only then", async () => {
    const inner = memoryAdapter();
    const { CheckpointError } = await import('xstate-checkpoint');
    let answer: Record<string, unknown> | undefined;
    const adapter: CheckpointAdapter = {
      ...inner,
      async write(key, record) {
        const data = answer;
        answer = undefined;
        if (data) throw new CheckpointError('conflict', { key, adapter: 'test', seq: record.seq, data });
        return inner.write(key, record);
      },
    };
    const errors: string[] = [];
    const p = await persistActor(counter, {
      key: 'c',
      adapter,
      flushOnExit: false,
      onError: (e) => errors.push(e.code),
    });
    await p.flush();
    answer = { nextSeq: 7, setAside: [2, 3, 4, 5, 6] };
    p.actor.send({ type: 'INC' });
    expect((await p.flush())?.seq).toBe(7);
    expect((await inner.list('c')).map((g) => g.seq)).toEqual([7, 1]);
    expect(errors).toEqual([]);
    // A nextSeq that is not a safe integer above the refused seq is an ordinary conflict: the writer halts.
    for (const bad of [{ nextSeq: '9' }, { nextSeq: 2 }, { nextSeq: Number.NaN }]) {
      const q = await persistActor(counter, {
        key: `bad-${String(bad.nextSeq)}`,
        adapter,
        flushOnExit: false,
        onError: () => undefined,
      });
      await q.flush();
      answer = bad;
      q.actor.send({ type: 'INC' });
      expect(await codeOf(q.flush())).toBe('conflict');
      await q.close().catch(() => undefined);
    }
    await p.close();
  });

  it('rejects an unknown retain.onFull', async () => {
    await expect(
      persistActor(counter, {
        key: 'c',
        adapter: memoryAdapter(),
        retain: { onFull: 'delete-all' as 'keep' },
      }),
    ).rejects.toMatchObject({ code: 'invalid-option' });
  });

  it('refuses a stopped writer once it is fenced, and reports it', async () => {
    const store = createMemoryStore();
    const errors: string[] = [];
    const a = await persistActor(counter, {
      key: 'c',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      onError: (e) => errors.push(e.code),
    });
    await a.flush();
    const b = await persistActor(counter, {
      key: 'c',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      lock: true,
    });
    b.actor.send({ type: 'INC' });
    await b.flush();
    a.actor.send({ type: 'INC' });
    const error = await a.flush().catch((e: unknown) => e);
    // b's lease raised the epoch: a's write is fenced (not a conflict), and onError hears it once.
    expect(isCheckpointError(error) && error.code).toBe('fenced');
    expect(errors).toEqual(['fenced']);
    await a.close().catch(() => undefined);
    await b.close();
  });

  it('validates its options with typed errors', async () => {
    const adapter = memoryAdapter();
    expect(await codeOf(persistActor(counter, { key: '', adapter }))).toBe('invalid-key');
    expect(await codeOf(persistActor(counter, { key: 'k', adapter, version: 0 }))).toBe('invalid-option');
    expect(await codeOf(persistActor(counter, { key: 'k', adapter, version: 2, migrations: { 2: (s) => s } }))).toBe(
      'invalid-option',
    );
    // A hole in the chain (step 1 of version 3 without step 2) is a forgotten step: refused at start-up,
    // not found at the first restore of an old checkpoint (which would quarantine it and start fresh).
    const hole = persistActor(counter, { key: 'k', adapter, version: 3, migrations: { 1: (s) => s } });
    await expect(hole).rejects.toMatchObject({
      code: 'invalid-option',
      message: expect.stringContaining('migrations[2]'),
    });
    const chain = await persistActor(counter, { key: 'chain', adapter, version: 3, migrations: { 2: (s) => s } });
    await chain.close();
    expect(await codeOf(persistActor(counter, { key: 'k', adapter, debounce: { wait: 500, maxWait: 100 } }))).toBe(
      'invalid-option',
    );
    expect(await codeOf(persistActor({} as AnyActorLogic, { key: 'k', adapter }))).toBe('invalid-option');
  });

  it('persists promise actor logic too', async () => {
    const store = createMemoryStore();
    const logic = fromPromise(async () => 42);
    const p = await persistActor(logic, { key: 'p', adapter: memoryAdapter({ store }), flushOnExit: false });
    await vi.advanceTimersByTimeAsync(10);
    await p.flush();
    await p.close();
    const p2 = await persistActor(logic, { key: 'p', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(p2.actor.getSnapshot()).toMatchObject({ status: 'done', output: 42 });
    await p2.close();
  });

  it('a clean restore writes nothing: restarting does not push older generations out of retention', async () => {
    const store = createMemoryStore();
    const first = await persistActor(counter, { key: 'r', adapter: memoryAdapter({ store }), flushOnExit: false });
    first.actor.send({ type: 'INC' });
    await first.flush();
    first.actor.send({ type: 'INC' });
    await first.flush();
    await first.close();
    for (let restart = 0; restart < 4; restart++) {
      const again = await persistActor(counter, { key: 'r', adapter: memoryAdapter({ store }), flushOnExit: false });
      expect(again.restored).toMatchObject({ source: 'checkpoint', seq: 2 });
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await again.flush()).toBeUndefined();
      await again.close();
    }
    expect((await memoryAdapter({ store }).list('r')).map((g) => g.seq)).toEqual([2, 1]);
    // The first real change after a restore is written as usual.
    const last = await persistActor(counter, { key: 'r', adapter: memoryAdapter({ store }), flushOnExit: false });
    last.actor.send({ type: 'INC' });
    expect((await last.flush())?.seq).toBe(3);
    expect(last.actor.getSnapshot().context.count).toBe(3);
    await last.close();
  });
});
