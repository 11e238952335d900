import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import {
  CheckpointError,
  isCheckpointError,
  persistActor,
  type CheckpointAdapter,
  type CheckpointEvent,
} from 'xstate-checkpoint';
import type { JournaledActor } from 'xstate-checkpoint/journal';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';

const order = createMachine({
  id: 'order',
  context: { items: 0 },
  initial: 'shopping',
  states: {
    shopping: {
      on: { ADD: { actions: assign({ items: ({ context }) => context.items + 1 }) }, PLACE: 'placed' },
    },
    placed: { after: { 60_000: 'archived' } },
    archived: {},
  },
});

/** Places an order over three generations; returns the store. */
async function placedOrder(options: { journal?: true } = {}) {
  const store = createMemoryStore();
  const events: CheckpointEvent[] = [];
  const p = await persistActor(order, {
    key: 'o',
    adapter: memoryAdapter({ store }),
    flushOnExit: false,
    retain: { latest: 10 },
    onEvent: (e) => events.push(e),
    ...options,
  });
  for (const type of ['ADD', 'ADD', 'PLACE'] as const) {
    p.actor.send({ type });
    // Journal mode writes a generation when it compacts.
    await ('compact' in p ? (p as JournaledActor<typeof order>).compact() : p.flush());
  }
  return { store, p, events };
}

const reopen = (store: ReturnType<typeof createMemoryStore>, options: { journal?: true } = {}) =>
  persistActor(order, { key: 'o', adapter: memoryAdapter({ store }), flushOnExit: false, ...options });

describe.each([
  ['snapshot mode', {}],
  ['journal mode', { journal: true as const }],
])('persisted.clear() (%s)', (_mode, options) => {
  it('starts a fresh actor, writes it, and removes every older generation', async () => {
    const { store, p, events } = await placedOrder(options);
    const old = p.actor;
    const before = await p.history.list();
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(p.actor.getSnapshot().value).toBe('placed');

    const mark = events.length;
    const info = await p.clear();
    expect(old.getSnapshot().status).toBe('stopped');
    expect(p.actor).not.toBe(old);
    expect(p.actor.getSnapshot()).toMatchObject({ value: 'shopping', context: { items: 0 }, status: 'active' });
    // One generation left: the fresh state, numbered after the old ones (sequences never go back).
    const after = await p.history.list();
    expect(after.map((g) => g.seq)).toEqual([info.seq]);
    expect(info.seq).toBeGreaterThan(before[0]!.seq);
    const since = events.slice(mark);
    const removed = since.flatMap((e) => (e.type === 'prune' ? e.removed : []));
    for (const g of before) expect(removed).toContain(g.seq);
    // usePersistedActor re-renders on it.
    expect(since.flatMap((e) => (e.type === 'restore' ? [e.report.source] : []))).toEqual(['fresh']);

    // The fresh actor is persisted like any other.
    p.actor.send({ type: 'ADD' });
    await p.close();
    const q = await reopen(store, options);
    expect(q.actor.getSnapshot()).toMatchObject({ value: 'shopping', context: { items: 1 } });
    // The old order's pending delay went with it.
    expect(q.restored.timersRestored).toBe(0);
    await q.close();
  });

  it('keeps quarantined generations', async () => {
    const { store, p } = await placedOrder(options);
    const newest = (await p.history.list())[0]!;
    await p.close();
    // Corrupt the newest generation: the next restore quarantines it.
    const state = store.keys.get('o')!;
    const record = state.generations.get(newest.seq)!;
    state.generations.set(newest.seq, { ...record, bytes: record.bytes.map((b, i) => (i === 30 ? b ^ 0xff : b)) });
    const q = await reopen(store, options);
    expect(q.restored.quarantined).toEqual([newest.seq]);
    const adapter = memoryAdapter({ store });
    const quarantined = await adapter.listQuarantine('o');
    expect(quarantined).toHaveLength(1);

    await q.clear();
    expect(await adapter.listQuarantine('o')).toEqual(quarantined);
    await q.close();
  });

  it('rejects when a removal fails, with the fresh state already the newest generation', async () => {
    const store = createMemoryStore();
    const inner = memoryAdapter({ store });
    const adapter: CheckpointAdapter = {
      ...inner,
      remove: (key, seq) =>
        Promise.reject(new CheckpointError('io', { key, seq, adapter: 'flaky', detail: 'injected' })),
    };
    const p = await persistActor(order, { key: 'o', adapter, flushOnExit: false, ...options });
    p.actor.send({ type: 'ADD' });
    await p.flush();
    const error = await p.clear().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCheckpointError(error) && error.code).toBe('io');
    await p.close();
    const q = await reopen(store, options);
    expect(q.actor.getSnapshot().context.items).toBe(0);
    await q.close();
  });

  it('refuses after close', async () => {
    const { p } = await placedOrder(options);
    await p.close();
    const error = await p.clear().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCheckpointError(error) && error.code).toBe('closed');
  });
});

// Snapshot mode only: journal mode refuses `follow` (test/core/follow.test.ts).
describe('persisted.clear() on a follower', () => {
  it("rejects with lock-held and leaves the writer's generations and the mirrored state alone", async () => {
    const store = createMemoryStore();
    const adapter = memoryAdapter({ store });
    const writer = await persistActor(order, { key: 'o', adapter, flushOnExit: false, lock: true });
    writer.actor.send({ type: 'ADD' });
    await writer.flush();
    writer.actor.send({ type: 'ADD' });
    await writer.flush();
    const follower = await persistActor(order, {
      key: 'o',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      lock: true,
      follow: { takeOver: false },
    });
    expect(follower.role).toBe('follower');
    const mirrored = follower.actor;
    const before = (await adapter.list('o')).map((g) => g.seq);

    const error = await follower.clear().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCheckpointError(error) && error.code).toBe('lock-held');
    expect(follower.actor).toBe(mirrored);
    expect(follower.actor.getSnapshot().context.items).toBe(2);
    expect((await adapter.list('o')).map((g) => g.seq)).toEqual(before);
    // The writer still owns the key and writes on top of its own history.
    writer.actor.send({ type: 'ADD' });
    expect((await writer.flush())?.seq).toBe(Math.max(...before) + 1);
    await follower.close();
    await writer.close();
  });
});

describe('await using', () => {
  it('closes the persisted actor at the end of the scope: the last change is written, the actor stopped', async () => {
    const store = createMemoryStore();
    let actor;
    {
      // tsc checks that the type has [Symbol.asyncDispose]; the lint rule does not see a key made by a mapped type.
      // eslint-disable-next-line @typescript-eslint/await-thenable
      await using p = await persistActor(order, {
        key: 'o',
        adapter: memoryAdapter({ store }),
        flushOnExit: false,
        debounce: { wait: 60_000, maxWait: 60_000 },
      });
      p.actor.send({ type: 'ADD' });
      actor = p.actor;
    }
    expect(actor.getSnapshot().status).toBe('stopped');
    const q = await reopen(store);
    expect(q.actor.getSnapshot().context.items).toBe(1);
    await q.close();
  });

  it('is the close method, in journal mode too', async () => {
    for (const options of [{}, { journal: true as const }]) {
      const p = await persistActor(order, { key: 'o', adapter: memoryAdapter(), flushOnExit: false, ...options });
      await p[Symbol.asyncDispose]();
      expect(p.actor.getSnapshot().status).toBe('stopped');
    }
  });
});
