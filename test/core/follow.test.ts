import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assign, createMachine } from 'xstate';
import {
  isCheckpointError,
  persistActor,
  systemClock,
  watchGenerations,
  type CheckpointAdapter,
  type CheckpointEvent,
  type FollowOptions,
  type GenerationNotice,
} from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';

const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  initial: 'idle',
  states: {
    idle: { on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) }, GO: 'busy' } },
    busy: { after: { 5000: 'idle' } },
  },
});

const count = (persisted: { actor: { getSnapshot(): { context: { count: number } } } }) =>
  persisted.actor.getSnapshot().context.count;

/** A memory adapter with in-process notices, like the IndexedDB adapter's BroadcastChannel. */
function noticeAdapter(inner: CheckpointAdapter, hub: Set<(n: GenerationNotice) => void>): CheckpointAdapter {
  return {
    ...inner,
    async write(key, record) {
      await inner.write(key, record);
      for (const fn of hub) fn({ key, seq: record.seq, epoch: record.epoch });
    },
    subscribe(key, listener) {
      const fn = (n: GenerationNotice) => n.key === key && listener(n);
      hub.add(fn);
      return () => hub.delete(fn);
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('watchGenerations', () => {
  it('polls list() without subscribe, reports only newer generations, one call at a time', async () => {
    const store = createMemoryStore();
    const writer = await persistActor(counter, { key: 'k', adapter: memoryAdapter({ store }) });
    await writer.flush();
    const seen: number[] = [];
    let inside = 0;
    let maxInside = 0;
    const stop = watchGenerations(
      memoryAdapter({ store }),
      'k',
      1,
      async (seq) => {
        maxInside = Math.max(maxInside, ++inside);
        seen.push(seq);
        await new Promise((r) => setTimeout(r, 1500));
        inside--;
      },
      { clock: systemClock, pollMs: 100 },
    );
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toEqual([]); // generation 1 was already known
    writer.actor.send({ type: 'INC' });
    await writer.flush();
    await vi.advanceTimersByTimeAsync(150);
    expect(seen).toEqual([2]);
    writer.actor.send({ type: 'INC' });
    await writer.flush();
    writer.actor.send({ type: 'INC' });
    await writer.flush();
    await vi.advanceTimersByTimeAsync(3000);
    // 3 and 4 arrived while 2 was being handled: merged into one call with the newest.
    expect(seen).toEqual([2, 4]);
    expect(maxInside).toBe(1);
    stop();
    writer.actor.send({ type: 'INC' });
    await writer.flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual([2, 4]);
    await writer.close();
  });

  it("uses the adapter's subscribe when there is one (no polling)", async () => {
    const hub = new Set<(n: GenerationNotice) => void>();
    const inner = memoryAdapter();
    const adapter = noticeAdapter(inner, hub);
    const list = vi.spyOn(adapter, 'list');
    const seen: number[] = [];
    const stop = watchGenerations(adapter, 'k', 0, async (seq) => void seen.push(seq), { clock: systemClock });
    const writer = await persistActor(counter, { key: 'k', adapter });
    await writer.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([1]);
    // Polling (every 1000 ms) would list again and again; with subscribe only the resync does, every 10 s.
    await vi.advanceTimersByTimeAsync(9_990);
    expect(list.mock.calls.length).toBe(1); // the writer's own restore
    await vi.advanceTimersByTimeAsync(20);
    expect(list.mock.calls.length).toBe(2);
    stop();
    expect(hub.size).toBe(0);
    await writer.close();
  });
});

describe('watchGenerations resync', () => {
  it('with subscribe, a slow poll still finds a generation whose notice was lost (a frozen tab)', async () => {
    const store = createMemoryStore();
    const deaf: CheckpointAdapter = { ...memoryAdapter({ store }), subscribe: () => () => undefined };
    const seen: number[] = [];
    const stop = watchGenerations(deaf, 'k', 0, async (seq) => void seen.push(seq), {
      clock: systemClock,
      resyncMs: 5_000,
    });
    const writer = await persistActor(counter, { key: 'k', adapter: memoryAdapter({ store }) });
    await writer.flush();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen).toEqual([1]);
    stop();
    await writer.close();
  });
});

describe('persistActor with follow', () => {
  it('a second instance follows the lock holder read-only, then takes over when it closes', async () => {
    const store = createMemoryStore();
    const writer = await persistActor(counter, { key: 'doc', adapter: memoryAdapter({ store }), lock: true });
    writer.actor.send({ type: 'INC' });
    await writer.flush();

    const events: CheckpointEvent[] = [];
    const follower = await persistActor(counter, {
      key: 'doc',
      adapter: memoryAdapter({ store }),
      lock: true,
      follow: { pollMs: 200 },
      onEvent: (e) => events.push(e),
    });
    expect(follower.role).toBe('follower');
    expect(follower.restored).toMatchObject({ source: 'checkpoint', seq: 1 });
    expect(count(follower)).toBe(1);
    // Not started: it mirrors, it does not run.
    expect(follower.actor.getSnapshot().status).toBe('active');
    follower.actor.send({ type: 'INC' });
    expect(await follower.flush()).toBeUndefined();
    await expect(follower.history.rollback(1)).rejects.toMatchObject({ code: 'lock-held' });

    writer.actor.send({ type: 'INC' });
    writer.actor.send({ type: 'INC' });
    await writer.flush();
    await vi.advanceTimersByTimeAsync(250);
    expect(events.filter((e) => e.type === 'follow')).toEqual([{ type: 'follow', key: 'doc', seq: 2 }]);
    expect(follower.restored.seq).toBe(2);
    expect(count(follower)).toBe(3);

    await writer.close();
    await vi.advanceTimersByTimeAsync(250);
    expect(follower.role).toBe('writer');
    const promote = events.find((e) => e.type === 'promote');
    expect(promote).toMatchObject({ type: 'promote', key: 'doc', epoch: 2 });
    // It restored the writer's last state and now writes on top of it.
    expect(count(follower)).toBe(3);
    expect(follower.restored).toMatchObject({ source: 'checkpoint', seq: 2 });
    follower.actor.send({ type: 'INC' });
    const info = await follower.flush();
    expect(info?.seq).toBe(3);
    expect(count(follower)).toBe(4);
    const generations = await memoryAdapter({ store }).list('doc');
    expect(generations.map((g) => [g.seq, g.epoch])).toEqual([
      [3, 2],
      [2, 1],
      [1, 1],
    ]);
    await follower.close();
  });

  it('a follower skips a generation it cannot read and never quarantines it', async () => {
    const store = createMemoryStore();
    const writer = await persistActor(counter, { key: 'doc', adapter: memoryAdapter({ store }), lock: true });
    writer.actor.send({ type: 'INC' });
    await writer.flush();
    const bytes = encodeEnvelope(
      { machine: 'counter', version: 1, seq: 2, epoch: 1, createdAt: 0, codec: 'xsc1' },
      new TextEncoder().encode('{not json'),
    );
    await memoryAdapter({ store }).write('doc', { seq: 2, epoch: 1, createdAt: 0, byteLength: bytes.length, bytes });

    const follower = await persistActor(counter, {
      key: 'doc',
      adapter: memoryAdapter({ store }),
      lock: true,
      follow: { takeOver: false },
    });
    expect(follower.restored).toMatchObject({ source: 'checkpoint', seq: 1 });
    expect(count(follower)).toBe(1);
    expect(await memoryAdapter({ store }).listQuarantine('doc')).toEqual([]);
    await follower.close();
    await writer.close();
  });

  /** A lock holder and a second instance following it, on one memory store. */
  async function writerAndFollower(follow: FollowOptions) {
    const store = createMemoryStore();
    const writer = await persistActor(counter, { key: 'doc', adapter: memoryAdapter({ store }), lock: true });
    const follower = await persistActor(counter, { key: 'doc', adapter: memoryAdapter({ store }), lock: true, follow });
    return { store, writer, follower };
  }

  it('takeOver: false stays a follower after the writer leaves; close stops watching', async () => {
    const { writer, follower } = await writerAndFollower({ takeOver: false, pollMs: 100 });
    expect(follower.restored.source).toBe('fresh');
    await writer.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(follower.role).toBe('follower');
    await follower.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a follower that closes while waiting for the lock never becomes the writer', async () => {
    const { store, writer, follower } = await writerAndFollower({ pollMs: 100 });
    await follower.close();
    await writer.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(follower.role).toBe('follower');
    // The lock is free for a third instance.
    const third = await persistActor(counter, { key: 'doc', adapter: memoryAdapter({ store }), lock: true });
    expect(third.role).toBe('writer');
    await third.close();
  });

  it('follow needs lock, and is not available in journal mode', async () => {
    const adapter = memoryAdapter();
    for (const options of [{ follow: true }, { follow: true, lock: true, journal: true }]) {
      const error = await persistActor(counter, { key: 'k', adapter, ...options }).catch((e: unknown) => e);
      expect(isCheckpointError(error) && error.code).toBe('invalid-option');
    }
  });
});
