import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assign, createActor, createMachine, fromPromise, setup, type AnyActorRef } from 'xstate';
import { encodeText } from '../../src/codec/index.js';
import { pendingTimers, type CheckpointEvent } from 'xstate-checkpoint';
import { persistJournaled } from 'xstate-checkpoint/journal';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'xstate-checkpoint/adapters/memory';
import { corpus, type Step } from './corpus.js';

const T0 = 1_700_000_000_000;

async function apply(send: (e: { type: string }) => void, steps: readonly Step[]) {
  for (const step of steps) {
    if ('wait' in step) await vi.advanceTimersByTimeAsync(step.wait);
    else send(step);
  }
}

const normal = (actor: AnyActorRef) => encodeText(actor.getPersistedSnapshot());
const timerKeys = (actor: AnyActorRef) =>
  pendingTimers(actor)
    .map((t) => `${t.source.join('/')}>${t.target.join('/')} ${t.event.type} @${t.deadline}`)
    .sort();

function open(machine: Parameters<typeof persistJournaled>[0], store: MemoryStore, compactEvery: number) {
  const seen: CheckpointEvent[] = [];
  const adapter = memoryAdapter({ store });
  const write = adapter.write.bind(adapter);
  let crashed = false;
  // A crashed process writes nothing more: a compaction still waiting for its journal must not
  // land a generation under the restarted instance (that would be a second writer, a conflict).
  adapter.write = (key, record) => (crashed ? Promise.reject(new Error('crashed')) : write(key, record));
  return {
    seen,
    crash: () => (crashed = true),
    persisted: persistJournaled(machine, {
      key: 'k',
      adapter,
      journal: { compactEvery },
      flushOnExit: false,
      onEvent: (e) => seen.push(e),
      onError: (error) => {
        if (!crashed) throw error;
      },
    }),
  };
}

describe('replay: restoring snapshot + journal gives the live state, at every cut', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const { name, machine, steps } of corpus) {
    for (const compactEvery of [1000, 2]) {
      it(`${name} (snapshot every ${compactEvery} events)`, async () => {
        const reference = createActor(machine).start();
        await apply((e) => reference.send(e), steps);
        const expected = normal(reference);
        reference.stop();

        let replayedTotal = 0;
        for (let cut = 0; cut <= steps.length; cut++) {
          vi.setSystemTime(T0);
          const store = createMemoryStore();
          const a = open(machine, store, compactEvery);
          const first = await a.persisted;
          await apply((e) => first.actor.send(e), steps.slice(0, cut));
          await first.flush();
          const live = normal(first.actor);
          const liveTimers = timerKeys(first.actor);
          a.crash();
          first.actor.stop(); // a crash: no close

          const b = open(machine, store, compactEvery);
          const second = await b.persisted;
          const where = `${name}, cut after step ${cut}`;
          expect(second.restored.journal.corrupt, where).toBeUndefined();
          expect(normal(second.actor), where).toBe(live);
          expect(timerKeys(second.actor), `${where}: pending timers`).toEqual(liveTimers);
          replayedTotal += second.restored.journal.replayed;

          await apply((e) => second.actor.send(e), steps.slice(cut));
          expect(normal(second.actor), `${where}: after the remaining steps`).toBe(expected);
          await second.close();
          const nondeterministic = [...a.seen, ...b.seen].filter((e) => e.type === 'nondeterministic-replay');
          expect(nondeterministic, where).toEqual([]);
        }
        // The journal really carried state: restores replayed events onto an older snapshot.
        if (compactEvery > steps.length) expect(replayedTotal).toBeGreaterThan(0);
      });
    }
  }
});

describe('replay runs no side effects', () => {
  it('actions never run during replay, and run again for events after the restore', async () => {
    const effects = vi.fn();
    const fetched = vi.fn(async () => 7);
    const machine = setup({
      actions: { effect: (_, params: { tag: string }) => effects(params.tag) },
      actors: { fetch: fromPromise(fetched) },
    }).createMachine({
      id: 'effects',
      context: { n: 0, got: 0 },
      initial: 'idle',
      entry: { type: 'effect', params: { tag: 'entry' } },
      states: {
        idle: {
          on: {
            INC: {
              actions: [assign({ n: ({ context }) => context.n + 1 }), { type: 'effect', params: { tag: 'inc' } }],
            },
            LOAD: 'loading',
          },
        },
        loading: {
          entry: { type: 'effect', params: { tag: 'loading' } },
          invoke: {
            src: 'fetch',
            onDone: { target: 'idle', actions: assign({ got: ({ event }) => event.output }) },
          },
          exit: { type: 'effect', params: { tag: 'loaded' } },
        },
      },
    });
    const store = createMemoryStore();
    const first = await persistJournaled(machine, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: { compactEvery: 10_000, verifyReplay: false },
      flushOnExit: false,
    });
    for (let i = 0; i < 5; i++) await first.send({ type: 'INC' });
    await first.send({ type: 'LOAD' });
    await vi.waitFor(() => expect(first.actor.getSnapshot().value).toBe('idle'));
    await first.flush();
    first.actor.stop();
    const live = { effects: effects.mock.calls.length, fetches: fetched.mock.calls.length };
    expect(live).toEqual({ effects: 1 + 5 + 2, fetches: 1 });

    const second = await persistJournaled(machine, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: { compactEvery: 10_000, verifyReplay: false },
      flushOnExit: false,
    });
    // The whole history came back through replay (8 events: 5 INC, LOAD, the promise's resolution
    // sent to its actor and the done event it sent to the parent)...
    expect(second.restored.journal.replayed).toBe(8);
    expect(second.actor.getSnapshot().context).toEqual({ n: 5, got: 7 });
    // ...without one action or invocation running again.
    expect(effects.mock.calls.length).toBe(live.effects);
    expect(fetched.mock.calls.length).toBe(live.fetches);

    await second.send({ type: 'INC' });
    await second.send({ type: 'LOAD' });
    await vi.waitFor(() => expect(second.actor.getSnapshot().value).toBe('idle'));
    expect(effects.mock.calls.slice(live.effects).map((c) => c[0])).toEqual(['inc', 'loading', 'loaded']);
    expect(fetched.mock.calls.length).toBe(2);
    await second.close();
  });

  it('replay uses the pure transition: a machine whose actions would throw still restores', async () => {
    let armed = false;
    const machine = createMachine({
      id: 'bomb',
      context: { n: 0 },
      on: {
        HIT: {
          actions: [
            assign({ n: ({ context }) => context.n + 1 }),
            () => {
              if (armed) throw new Error('an action ran during replay');
            },
          ],
        },
      },
    });
    const store = createMemoryStore();
    const first = await persistJournaled(machine, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: true,
      flushOnExit: false,
    });
    for (let i = 0; i < 3; i++) await first.send({ type: 'HIT' });
    first.actor.stop();
    armed = true;
    const second = await persistJournaled(machine, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      journal: true,
      flushOnExit: false,
    });
    expect(second.actor.getSnapshot().status).toBe('active');
    expect(second.actor.getSnapshot().context.n).toBe(3);
    armed = false;
    await second.close();
  });
});
