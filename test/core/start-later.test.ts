// `start: false`: the restored actor comes back not started, so listeners attach
// before entry actions and children run (XState's createActor, listen, start()).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assign, emit, fromCallback, setup, type AnyActorLogic, type AnyActorRef } from 'xstate';
import { persistActor, type PersistOptions, type RequiredInput } from 'xstate-checkpoint';
import { persistJournaled } from 'xstate-checkpoint/journal';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'xstate-checkpoint/adapters/memory';

const announcer = fromCallback(({ sendBack }) => {
  sendBack({ type: 'HELLO' });
});
const machine = setup({ actors: { announcer } }).createMachine({
  id: 'm',
  context: { hellos: 0 },
  entry: emit({ type: 'started' }),
  invoke: { src: 'announcer', id: 'a' },
  initial: 'idle',
  states: {
    idle: { on: { GO: 'waiting' } },
    waiting: { after: { 1000: 'done' } },
    done: {},
  },
  on: {
    HELLO: { actions: [assign({ hellos: ({ context }) => context.hellos + 1 }), emit({ type: 'hello' })] },
  },
});

function open<T extends AnyActorLogic>(logic: T, store: MemoryStore, extra: Partial<PersistOptions<T>> = {}) {
  return persistActor(logic, {
    key: 'k',
    adapter: memoryAdapter({ store }),
    flushOnExit: false,
    logger: () => undefined,
    ...extra,
  } as PersistOptions<T> & RequiredInput<T>);
}

const journal = [false, true] as const;

describe.each(journal)('start: false (journal: %s)', (journaled) => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const mode = journaled ? { journal: { verifyReplay: false } } : {};

  it('listeners attached before start() see what entry actions and children emit at start', async () => {
    const store = createMemoryStore();
    const p = await open(machine, store, { ...mode, start: false });
    const seen: string[] = [];
    p.actor.on('*', (e: { type: string }) => seen.push(e.type));
    const states: string[] = [];
    p.actor.subscribe((s) => states.push(String(s.value)));
    expect(p.actor.getSnapshot().status).toBe('active');
    expect(seen).toEqual([]);
    expect(await p.flush()).toBeUndefined(); // nothing is written before start()
    expect(await memoryAdapter({ store }).list('k')).toEqual([]);
    p.start();
    expect(seen).toEqual(['started', 'hello']);
    expect(states.length).toBeGreaterThan(0);
    await p.close();
  });

  it('timers are re-armed on start(), at their original deadline; the restore event comes then', async () => {
    const store = createMemoryStore();
    const a = await open(machine, store, mode);
    a.actor.send({ type: 'GO' });
    await a.flush();
    a.actor.stop();
    await vi.advanceTimersByTimeAsync(400);

    const restores: number[] = [];
    const b = await open(machine, store, {
      ...mode,
      start: false,
      onEvent: (e) => {
        if (e.type === 'restore') restores.push(e.report.timersRestored);
      },
    });
    expect(b.restored.source).toBe('checkpoint');
    expect(restores).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    b.start();
    b.start(); // idempotent
    expect(restores).toEqual([1]);
    expect(b.restored.timersRestored).toBe(1);
    await vi.advanceTimersByTimeAsync(299);
    expect(b.actor.getSnapshot().value).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1);
    expect(b.actor.getSnapshot().value).toBe('done');
    await b.close();
  });

  it('actor.start() (the XState habit) does what persisted.start() does, and writes open then', async () => {
    const store = createMemoryStore();
    const p = await open(machine, store, { ...mode, start: false });
    p.actor.start();
    expect((p.actor.getSnapshot().context as { hellos: number }).hellos).toBe(1);
    p.actor.send({ type: 'GO' });
    await p.flush();
    p.actor.stop();
    const q = await open(machine, store, mode);
    expect(q.actor.getSnapshot().value).toBe('waiting');
    expect(q.restored.timersRestored).toBe(1);
    await q.close();
  });

  it('close() before start() writes nothing, and the actor no longer starts', async () => {
    const store = createMemoryStore();
    const p = await open(machine, store, { ...mode, start: false });
    await p.close();
    expect(await memoryAdapter({ store }).list('k')).toEqual([]);
    p.start();
    p.actor.start();
    expect((p.actor.getSnapshot().context as { hellos: number }).hellos).toBe(0);
  });
});

describe('start: false in journal mode', () => {
  it('an event sent before start() is journaled, processed at start and acknowledged once durable', async () => {
    const store = createMemoryStore();
    const p = await persistJournaled(machine, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      journal: true,
      start: false,
    });
    let acked: number | undefined;
    const sent = p.send({ type: 'GO' }).then((seq) => (acked = seq));
    await Promise.resolve();
    expect(acked).toBeUndefined();
    expect(p.actor.getSnapshot().value).toBe('idle'); // XState queues it until start
    p.start();
    expect(p.actor.getSnapshot().value).toBe('waiting');
    await sent;
    expect(acked).toBe(1);
    p.actor.stop(); // a crash
    const q = await persistActor(machine, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      journal: true,
    });
    expect(q.actor.getSnapshot().value).toBe('waiting');
    await q.close();
  });
});

describe('start: false in follow mode', () => {
  it('a follower ignores it; after take-over its actor waits for start() unless start() was called', async () => {
    const store = createMemoryStore();
    const adapter = memoryAdapter({ store });
    const writer = await persistActor(machine, { key: 'k', adapter, lock: true, flushOnExit: false });
    const follower = await persistActor(machine, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      lock: true,
      follow: { pollMs: 10 },
      start: false,
      flushOnExit: false,
    });
    expect(follower.role).toBe('follower');
    follower.start(); // no effect on the mirror; the writer it becomes starts at once
    expect(follower.actor.getSnapshot().status).toBe('active');
    const promoted = new Promise<void>((resolve) => follower.on('promote', () => resolve()));
    await writer.close();
    await promoted;
    expect(follower.role).toBe('writer');
    expect((follower.actor as AnyActorRef & { _processingStatus?: number })._processingStatus).toBe(1);
    await follower.close();
  });
});
