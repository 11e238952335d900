import { afterEach, describe, expect, it, vi } from 'vitest';
import { assign, createActor, createMachine, sendTo, setup } from 'xstate';
import {
  CheckpointError,
  DEFAULT_LIMITS,
  persistActor,
  taggedJsonCodec,
  type CheckpointAdapter,
  type CheckpointEvent,
  type Clock,
  type JournalStore,
} from 'xstate-checkpoint';
import { observeDeliveries, persistJournaled, type JournaledActor } from 'xstate-checkpoint/journal';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'xstate-checkpoint/adapters/memory';
import { codeOf } from '../helpers/errors.js';

const counter = createMachine({
  id: 'counter',
  context: { n: 0 },
  on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
});

/** A memory adapter whose journal appends can be counted, held and failed. */
function instrumented(store: MemoryStore = createMemoryStore()) {
  const base = memoryAdapter({ store });
  const inner = base.journal!;
  const control = {
    appends: [] as number[],
    hold: undefined as Promise<void> | undefined,
    failures: [] as CheckpointError[],
  };
  const journal: JournalStore = {
    async append(key, entries, epoch) {
      control.appends.push(entries.length);
      if (control.hold) await control.hold;
      const failure = control.failures.shift();
      if (failure) throw failure;
      return inner.append(key, entries, epoch);
    },
    read: (key, after) => inner.read(key, after),
    truncate: (key, upto) => inner.truncate(key, upto),
  };
  const adapter: CheckpointAdapter = { ...base, journal };
  return { adapter, control, store };
}

const opened: Array<JournaledActor<never>> = [];
afterEach(async () => {
  for (const p of opened.splice(0)) await p.close().catch(() => undefined);
});
function track<T>(p: T): T {
  opened.push(p as never);
  return p;
}

describe('journal mode: acknowledgements and group commit', () => {
  it('acknowledges concurrent sends with their own sequences through few appends', async () => {
    const { adapter, control } = instrumented();
    const p = track(await persistJournaled(counter, { key: 'k', adapter, journal: true, flushOnExit: false }));
    control.appends.length = 0;
    const acks = await Promise.all(Array.from({ length: 64 }, () => p.send({ type: 'INC' })));
    expect(acks).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    // 64 events arriving in one turn share one append.
    expect(control.appends).toEqual([64]);
    // Senders that each await their ack: the appends carry many events each.
    control.appends.length = 0;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (sent < 640) {
          sent++;
          await p.send({ type: 'INC' });
        }
      }),
    );
    expect(control.appends.reduce((a, b) => a + b, 0)).toBe(640);
    expect(control.appends.length).toBeLessThanOrEqual(640 / 8);
    expect(p.actor.getSnapshot().context.n).toBe(704);
  });

  it('resolves a send only once its append is durable', async () => {
    const { adapter, control } = instrumented();
    const p = track(await persistJournaled(counter, { key: 'k', adapter, journal: true, flushOnExit: false }));
    let release!: () => void;
    control.hold = new Promise((resolve) => (release = resolve));
    let acked = false;
    const ack = p.send({ type: 'INC' }).then(() => (acked = true));
    // The actor has processed the event already; only the acknowledgement waits.
    expect(p.actor.getSnapshot().context.n).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(acked).toBe(false);
    release();
    control.hold = undefined;
    await ack;
    expect(acked).toBe(true);
  });

  it('retries a failed append (same entries, in order) and acknowledges after it succeeds', async () => {
    const { adapter, control, store } = instrumented();
    const seen: CheckpointEvent[] = [];
    const p = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter,
        journal: true,
        flushOnExit: false,
        onError: () => undefined,
        onEvent: (e) => seen.push(e),
      }),
    );
    await p.flush();
    control.failures.push(new CheckpointError('io', { detail: 'disk hiccup' }));
    const acks = await Promise.all([p.send({ type: 'INC' }), p.send({ type: 'INC' })]);
    expect(acks).toEqual([1, 2]);
    expect(seen.filter((e) => e.type === 'save-error')).toHaveLength(1);
    const read = await memoryAdapter({ store }).journal!.read('k', 0);
    expect(read.entries.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('stops journaling when fenced: waiting and later sends reject with fenced', async () => {
    const { adapter, control } = instrumented();
    const p = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter,
        journal: true,
        flushOnExit: false,
        onError: () => undefined,
      }),
    );
    await p.flush();
    control.failures.push(new CheckpointError('fenced', { detail: 'a newer owner' }));
    expect(await codeOf(p.send({ type: 'INC' }))).toBe('fenced');
    expect(await codeOf(p.send({ type: 'INC' }))).toBe('fenced');
  });

  it('fences the older of two owners of a key taken with lock: true', async () => {
    const store = createMemoryStore();
    const first = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        lock: true,
        flushOnExit: false,
        onError: () => undefined,
      }),
    );
    await first.send({ type: 'INC' });
    // The first owner's lease is dropped (say it hung); a second process takes the key.
    await memoryAdapter({ store }).dispose();
    store.keys.get('k')!.lockedBy = undefined;
    const second = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        lock: true,
        flushOnExit: false,
      }),
    );
    expect(second.actor.getSnapshot().context.n).toBe(1);
    await second.send({ type: 'INC' });
    expect(await codeOf(first.send({ type: 'INC' }))).toBe('fenced');
  });

  it('refuses to journal an event it cannot encode, and says so', async () => {
    const errors: CheckpointError[] = [];
    const p = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter(),
        journal: true,
        flushOnExit: false,
        onError: (e) => errors.push(e),
      }),
    );
    // Nesting past the codec's depth limit: the journal cannot hold it, so it stops rather than skip it.
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < DEFAULT_LIMITS.maxDepth + 100; i++) deep = { deep };
    const code = await codeOf(p.send({ type: 'INC', deep }));
    expect(code).toBe('too-deep');
    expect(errors.map((e) => e.code)).toContain('too-deep');
    expect(await codeOf(p.send({ type: 'INC' }))).toBe('too-deep');
  });

  it('rejects sends after close and to an actor that finished', async () => {
    const once = createMachine({ id: 'once', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } });
    const p = await persistJournaled(once, { key: 'k', adapter: memoryAdapter(), journal: true, flushOnExit: false });
    await p.send({ type: 'GO' });
    expect(await codeOf(p.send({ type: 'GO' }))).toBe('closed');
    await p.close();
    expect(await codeOf(p.send({ type: 'GO' }))).toBe('closed');
  });

  it('is what persistActor runs with the journal option', async () => {
    const store = createMemoryStore();
    const p = track(
      (await persistActor(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        flushOnExit: false,
      })) as JournaledActor<typeof counter>,
    );
    expect(await p.send({ type: 'INC' })).toBe(1);
    expect(p.restored.journal).toMatchObject({ fromSeq: 0, replayed: 0 });
  });

  it('refuses an adapter without a journal', async () => {
    const { journal: _journal, ...plain } = memoryAdapter();
    expect(await codeOf(persistJournaled(counter, { key: 'k', adapter: plain, journal: true }))).toBe('invalid-option');
  });
});

describe('journal mode: restore', () => {
  const crashAfter = async (store: MemoryStore, n: number, options: object = {}) => {
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: { compactEvery: 1000 },
      flushOnExit: false,
      ...options,
    });
    for (let i = 0; i < n; i++) await p.send({ type: 'INC' });
    p.actor.stop(); // a crash: no close
  };

  it('replays the tail after the newest snapshot, and close writes one so the next start replays nothing', async () => {
    const store = createMemoryStore();
    await crashAfter(store, 25);
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: true,
      flushOnExit: false,
    });
    expect(p.actor.getSnapshot().context.n).toBe(25);
    expect(p.restored.journal).toMatchObject({ fromSeq: 0, lastSeq: 25, replayed: 25, skipped: 0 });
    await p.send({ type: 'INC' });
    await p.close();
    const q = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        flushOnExit: false,
      }),
    );
    expect(q.actor.getSnapshot().context.n).toBe(26);
    expect(q.restored.journal).toMatchObject({ fromSeq: 26, replayed: 0 });
  });

  it('keeps the journal position in the envelope header, and still reads it from the payload of older generations', async () => {
    const store = createMemoryStore();
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: { compactEvery: 1000 },
      flushOnExit: false,
    });
    for (let i = 0; i < 3; i++) await p.send({ type: 'INC' });
    const { seq } = await p.compact();
    for (let i = 0; i < 2; i++) await p.send({ type: 'INC' });
    p.actor.stop(); // a crash: no close
    const record = store.keys.get('k')!.generations.get(seq)!;
    const { header, payload } = openEnvelope(record.bytes);
    expect(header.journal).toBe(3);
    const data = taggedJsonCodec.decode(payload) as Record<string, unknown>;
    // Also where an earlier release reads it, so a reader not yet upgraded replays from 3 too.
    expect(Object.keys(data).sort()).toEqual(['journal', 'snapshot', 'timers']);
    expect(data['journal']).toBe(3);
    // The same generation as an earlier release wrote it: the position inside the payload, none in the header.
    const { journal: _moved, format: _f, length: _l, crc: _c, ...fields } = header;
    const legacy = encodeEnvelope(fields, taggedJsonCodec.encode({ ...data, journal: 3 }));
    store.keys.get('k')!.generations.set(seq, { ...record, bytes: legacy, byteLength: legacy.length });
    const q = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        flushOnExit: false,
      }),
    );
    // Read from position 0 instead, the five entries would be replayed onto n = 3.
    expect(q.restored.journal).toMatchObject({ fromSeq: 3, lastSeq: 5, replayed: 2 });
    expect(q.actor.getSnapshot().context.n).toBe(5);
  });

  it('reports a torn tail quietly and a corrupt entry loudly, restoring up to the last good entry', async () => {
    const store = createMemoryStore();
    await crashAfter(store, 6);
    const s = store.keys.get('k')!;
    // Damage entry 4 (the frames are one chunk per append: entries 1..6 are the first six chunks).
    const chunk = s.journal[3]!;
    chunk[chunk.length - 1] = chunk[chunk.length - 1]! ^ 0xff;
    const errors: CheckpointError[] = [];
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: true,
      flushOnExit: false,
      onError: (e) => errors.push(e),
    });
    expect(p.actor.getSnapshot().context.n).toBe(3);
    expect(p.restored.journal.corrupt).toMatchObject({ afterSeq: 3 });
    expect(errors.map((e) => e.code)).toEqual(['corrupt']);
    // New events follow the last good entry; the damaged part was set aside.
    expect(await p.send({ type: 'INC' })).toBe(4);
    expect(s.journalAside.length).toBe(1);
    p.actor.stop();
    const q = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        flushOnExit: false,
      }),
    );
    expect(q.actor.getSnapshot().context.n).toBe(4);
    expect(q.restored.journal.corrupt).toBeUndefined();
  });

  it('refuses to start when journal entries the snapshot needs are missing', async () => {
    const store = createMemoryStore();
    await crashAfter(store, 5);
    await memoryAdapter({ store }).journal!.truncate('k', 2);
    expect(
      await codeOf(
        persistJournaled(counter, { key: 'k', adapter: memoryAdapter({ store }), journal: true, flushOnExit: false }),
      ),
    ).toBe('restore-failed');
  });
});

describe('journal mode: compaction', () => {
  it('writes a generation every N events, keeps the journal the retained generations need, and restores from the newest', async () => {
    const store = createMemoryStore();
    const saves: number[] = [];
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: { compactEvery: 10 },
      retain: { latest: 2 },
      flushOnExit: false,
      onEvent: (e) => {
        if (e.type === 'save') saves.push(e.seq);
      },
    });
    for (let i = 0; i < 35; i++) await p.send({ type: 'INC' });
    await vi.waitFor(() => expect(saves.length).toBeGreaterThanOrEqual(4));
    const s = store.keys.get('k')!;
    expect([...s.generations.keys()].length).toBe(2);
    // Entries up to the older retained generation's position are gone.
    const oldest = Math.min(...s.generations.keys());
    const remaining = (await memoryAdapter({ store }).journal!.read('k', 0)).entries.map((e) => e.seq);
    expect(remaining[0]).toBeGreaterThan(1);
    expect(remaining.at(-1)).toBe(35);
    p.actor.stop();
    const q = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        flushOnExit: false,
      }),
    );
    expect(q.actor.getSnapshot().context.n).toBe(35);
    expect(q.restored.journal.replayed).toBeLessThan(10);
    expect(q.restored.seq).toBeGreaterThan(oldest);
  });

  it('writes a generation after compactAfterMs when events are not covered', async () => {
    let now = 1_000;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => {
        const t = { at: now + ms, fn };
        timers.push(t);
        return t;
      },
      clearTimeout: (t) => {
        const i = timers.indexOf(t as never);
        if (i >= 0) timers.splice(i, 1);
      },
    };
    const saves: number[] = [];
    const p = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter(),
        clock,
        journal: { compactEvery: 1000, compactAfterMs: 5000 },
        flushOnExit: false,
        onEvent: (e) => {
          if (e.type === 'save') saves.push(e.seq);
        },
      }),
    );
    await vi.waitFor(() => expect(saves).toHaveLength(1)); // the first generation
    await p.send({ type: 'INC' });
    expect(timers.map((t) => t.at)).toEqual([6_000]);
    now = 6_000;
    timers.shift()!.fn();
    await vi.waitFor(() => expect(saves).toHaveLength(2));
  });

  it('flags a machine that is not replayable, naming the journal range and the difference', async () => {
    const dice = createMachine({
      id: 'dice',
      context: { roll: 0, rolls: 0 },
      on: {
        ROLL: { actions: assign({ roll: () => Math.random(), rolls: ({ context }) => context.rolls + 1 }) },
      },
    });
    const seen: CheckpointEvent[] = [];
    const p = track(
      await persistJournaled(dice, {
        key: 'k',
        adapter: memoryAdapter(),
        journal: { compactEvery: 4 },
        flushOnExit: false,
        onEvent: (e) => seen.push(e),
      }),
    );
    for (let i = 0; i < 8; i++) await p.send({ type: 'ROLL' });
    await vi.waitFor(() => expect(seen.filter((e) => e.type === 'nondeterministic-replay').length).toBeGreaterThan(0));
    const flagged = seen.find((e) => e.type === 'nondeterministic-replay')!;
    expect(flagged).toMatchObject({ key: 'k', path: ['context', 'roll'] });
    if (flagged.type === 'nondeterministic-replay') expect(flagged.toSeq).toBeGreaterThan(flagged.fromSeq);
  });

  it('stays quiet for a deterministic machine with children and delayed events', async () => {
    const child = createMachine({
      id: 'c',
      context: { got: 0 },
      on: { PING: { actions: assign({ got: ({ context }) => context.got + 1 }) } },
    });
    const parent = setup({ actors: { child } }).createMachine({
      id: 'p',
      invoke: { src: 'child', id: 'c' },
      on: { GO: { actions: sendTo('c', { type: 'PING' }, { delay: 5 }) } },
    });
    const seen: CheckpointEvent[] = [];
    const p = track(
      await persistJournaled(parent, {
        key: 'k',
        adapter: memoryAdapter(),
        journal: { compactEvery: 3 },
        flushOnExit: false,
        onEvent: (e) => seen.push(e),
      }),
    );
    for (let i = 0; i < 9; i++) await p.send({ type: 'GO' });
    await new Promise((resolve) => setTimeout(resolve, 40));
    await p.close();
    expect(seen.filter((e) => e.type === 'save').length).toBeGreaterThan(3);
    expect(seen.filter((e) => e.type === 'nondeterministic-replay')).toEqual([]);
  });

  it('rolls back to a generation and journals on from there', async () => {
    const store = createMemoryStore();
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: true,
      flushOnExit: false,
    });
    for (let i = 0; i < 3; i++) await p.send({ type: 'INC' });
    const at3 = await p.compact();
    for (let i = 0; i < 4; i++) await p.send({ type: 'INC' });
    await p.history.rollback(at3.seq);
    expect(p.actor.getSnapshot().context.n).toBe(3);
    await p.send({ type: 'INC' });
    p.actor.stop();
    const q = track(
      await persistJournaled(counter, {
        key: 'k',
        adapter: memoryAdapter({ store }),
        journal: true,
        flushOnExit: false,
      }),
    );
    expect(q.actor.getSnapshot().context.n).toBe(4);
  });
});

describe('observeDeliveries', () => {
  it('sees the same deliveries through the relay hook as through the inspection stream', async () => {
    const child = createMachine({
      id: 'c',
      on: { PING: { actions: sendTo(({ system }) => system.get('root'), { type: 'PONG' }) } },
    });
    const root = setup({ actors: { child } }).createMachine({
      id: 'r',
      initial: 'a',
      invoke: { src: 'child', id: 'kid' },
      states: { a: { after: { 5: 'b' } }, b: { on: { GO: { actions: sendTo('kid', { type: 'PING' }) } } } },
    });
    const run = async (via: 'relay' | 'inspect') => {
      const actor = createActor(root, { systemId: 'root' });
      const seen: string[] = [];
      const stop = observeDeliveries(
        actor,
        (event, target, source) => seen.push(`${event.type} ${target.join('/')} <- ${source?.join('/') ?? 'outside'}`),
        via,
      );
      actor.start();
      await new Promise((resolve) => setTimeout(resolve, 20));
      actor.send({ type: 'GO' });
      stop();
      actor.send({ type: 'GO' });
      actor.stop();
      return seen;
    };
    const relay = await run('relay');
    expect(relay).toEqual(['xstate.after.5.r.a  <- ', 'GO  <- outside', 'PING kid <- ', 'PONG  <- kid']);
    expect(await run('inspect')).toEqual(relay);
  });
});

describe('journal writer with a pipelined store', () => {
  /** A memory journal that says it is pipelined; each append waits until the test lets it finish. */
  function pipelinedStore() {
    const base = memoryAdapter();
    const inner = base.journal!;
    const calls: Array<{ seqs: number[]; finish: (error?: CheckpointError) => void }> = [];
    const journal: JournalStore = {
      pipelined: true,
      append(key, entries, epoch) {
        return new Promise<void>((resolve, reject) => {
          calls.push({
            seqs: entries.map((e) => e.seq),
            finish: (error) => {
              if (error) reject(error);
              else void inner.append(key, entries, epoch).then(resolve, reject);
            },
          });
        });
      },
      read: (key, after) => inner.read(key, after),
      truncate: (key, upto) => inner.truncate(key, upto),
    };
    return { adapter: { ...base, journal } as CheckpointAdapter, calls };
  }
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(condition()).toBe(true);
  };

  it('hands the next group over while one is in flight (two at most), acknowledging in order', async () => {
    const { adapter, calls } = pipelinedStore();
    const p = await persistJournaled(counter, { key: 'k', adapter, journal: true, flushOnExit: false });
    const acks: number[] = [];
    const a = p.send({ type: 'INC' }).then((seq) => acks.push(seq));
    await until(() => calls.length === 1);
    const b = p.send({ type: 'INC' }).then((seq) => acks.push(seq));
    await until(() => calls.length === 2);
    const c = p.send({ type: 'INC' }).then((seq) => acks.push(seq));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.length).toBe(2); // the third waits: one group flushing, one written behind it
    calls[0]!.finish();
    calls[1]!.finish();
    await until(() => calls.length === 3);
    calls[2]!.finish();
    await Promise.all([a, b, c]);
    expect(acks).toEqual([1, 2, 3]);
    await p.close();
  });

  it('a failure fails the round: every group in flight is appended again, in order, after the backoff', async () => {
    const { adapter, calls } = pipelinedStore();
    const errors: string[] = [];
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter,
      journal: true,
      flushOnExit: false,
      onError: (error) => errors.push(error.code),
    });
    const a = p.send({ type: 'INC' });
    await until(() => calls.length === 1);
    const b = p.send({ type: 'INC' });
    await until(() => calls.length === 2);
    const io = new CheckpointError('io', { key: 'k', detail: 'injected' });
    calls[0]!.finish(io);
    calls[1]!.finish(io);
    await until(() => calls.length === 3);
    expect(calls[2]!.seqs).toEqual([1, 2]);
    calls[2]!.finish();
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(errors).toEqual(['io']);
    await p.close();
  });

  it('a group that settles after the failed one behind it counts as durable: only the failed one goes again', async () => {
    const { adapter, calls } = pipelinedStore();
    const errors: string[] = [];
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter,
      journal: true,
      flushOnExit: false,
      onError: (error) => errors.push(error.code),
    });
    const a = p.send({ type: 'INC' });
    await until(() => calls.length === 1);
    const b = p.send({ type: 'INC' });
    await until(() => calls.length === 2);
    calls[1]!.finish(new CheckpointError('storage-full', { key: 'k', detail: 'injected' })); // B's write fails first
    await new Promise((resolve) => setTimeout(resolve, 5));
    calls[0]!.finish(); // then A's flush returns
    expect(await a).toBe(1);
    await until(() => calls.length === 3);
    expect(calls[2]!.seqs).toEqual([2]);
    calls[2]!.finish();
    expect(await b).toBe(2);
    expect(errors).toEqual(['storage-full']);
    await p.close();
  });
});
