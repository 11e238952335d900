import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assign, createActor, createMachine, fromCallback, sendParent, setup, type AnyStateMachine } from 'xstate';
import { encodeText } from '../../src/codec.js';
import { persistActor } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';

/** A step is an event to send, or time to let pass. */
type Step = { type: string; n?: number; msg?: string } | { wait: number };

const nested = createMachine({
  id: 'nested',
  initial: 'a',
  context: { log: [] as string[] },
  states: {
    a: {
      initial: 'a1',
      states: { a1: { on: { NEXT: 'a2' } }, a2: { on: { NEXT: '#nested.b' } } },
      on: { LOG: { actions: assign({ log: ({ context, event }) => [...context.log, String(event['msg'])] }) } },
    },
    b: { initial: 'b1', states: { b1: { on: { NEXT: 'b2' } }, b2: { type: 'final' } }, onDone: 'c' },
    c: { type: 'final' },
  },
});

const parallelWithHistory = createMachine({
  id: 'ph',
  type: 'parallel',
  states: {
    editor: {
      initial: 'text',
      states: {
        text: {
          initial: 'plain',
          states: { plain: { on: { BOLD: 'bold' } }, bold: { on: { PLAIN: 'plain' } }, hist: { type: 'history' } },
          on: { PREVIEW: 'preview' },
        },
        preview: { on: { BACK: 'text.hist' } },
      },
    },
    sync: { initial: 'idle', states: { idle: { on: { SAVE: 'saving' } }, saving: { after: { 300: 'idle' } } } },
  },
});

const guarded = setup({
  guards: { big: ({ context }) => context.total > 100 },
}).createMachine({
  id: 'guarded',
  context: { total: 0, when: new Date(0), tags: new Set<string>(), byId: new Map<string, { n: bigint }>() },
  initial: 'open',
  states: {
    open: {
      on: {
        ADD: {
          actions: assign(({ context, event }) => {
            const n = Number(event['n']);
            const tags = new Set(context.tags).add(`t${n}`);
            const byId = new Map(context.byId).set(`id${n}`, { n: BigInt(n) * 10n ** 20n });
            return { total: context.total + n, when: new Date(context.when.getTime() + n), tags, byId };
          }),
        },
        CHECK: [{ guard: 'big', target: 'review' }, { target: 'approved' }],
      },
    },
    review: { after: { 1000: 'approved' }, on: { REJECT: 'rejected' } },
    approved: { type: 'final' },
    rejected: { type: 'final' },
  },
});

const worker = createMachine({
  id: 'worker',
  context: { done: 0 },
  initial: 'working',
  states: {
    working: {
      on: {
        TICK: [
          {
            guard: ({ context }) => context.done >= 2,
            target: 'finished',
            actions: assign({ done: ({ context }) => context.done + 1 }),
          },
          { actions: assign({ done: ({ context }) => context.done + 1 }) },
        ],
      },
    },
    finished: { type: 'final', entry: sendParent({ type: 'WORKER_DONE' }) },
  },
});

const withChildren = setup({ actors: { worker } }).createMachine({
  id: 'parent',
  context: ({ spawn }) => ({ spawned: spawn('worker', { id: 'spawned' }), count: 0 }),
  initial: 'running',
  invoke: {
    src: 'worker',
    id: 'invoked',
    onDone: { actions: assign({ count: ({ context }) => context.count + 100 }) },
  },
  states: {
    running: {
      on: {
        WORK: { actions: ({ context }) => context.spawned.send({ type: 'TICK' }) },
        WORK_INVOKED: { actions: ({ self }) => self.getSnapshot().children['invoked']?.send({ type: 'TICK' }) },
        WORKER_DONE: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        PAUSE: 'paused',
      },
    },
    paused: { after: { 500: 'running' } },
  },
});

const corpus: Array<{ name: string; machine: AnyStateMachine; steps: Step[] }> = [
  {
    name: 'nested states',
    machine: nested,
    steps: [{ type: 'LOG', msg: 'x' }, { type: 'NEXT' }, { type: 'LOG', msg: 'y' }, { type: 'NEXT' }, { type: 'NEXT' }],
  },
  {
    name: 'parallel regions, history, delays',
    machine: parallelWithHistory,
    steps: [
      { type: 'BOLD' },
      { type: 'SAVE' },
      { wait: 100 },
      { type: 'PREVIEW' },
      { wait: 250 },
      { type: 'BACK' },
      { type: 'PLAIN' },
    ],
  },
  {
    name: 'guards, rich context, delayed transition',
    machine: guarded,
    steps: [
      { type: 'ADD', n: 40 },
      { type: 'ADD', n: 70 },
      { type: 'CHECK' },
      { wait: 400 },
      { wait: 700 },
      { type: 'ADD', n: 1 },
    ],
  },
  {
    name: 'invoked and spawned child machines',
    machine: withChildren,
    steps: [
      { type: 'WORK' },
      { type: 'WORK_INVOKED' },
      { type: 'WORK' },
      { type: 'PAUSE' },
      { wait: 200 },
      { type: 'WORK' },
      { wait: 400 },
      { type: 'WORK_INVOKED' },
      { type: 'WORK_INVOKED' },
    ],
  },
];

async function apply(send: (e: { type: string }) => void, steps: Step[]) {
  for (const step of steps) {
    if ('wait' in step) await vi.advanceTimersByTimeAsync(step.wait);
    else send(step);
  }
}

const normal = (actor: { getPersistedSnapshot(): unknown }) => encodeText(actor.getPersistedSnapshot());

describe('restore fidelity: "run all" equals "run, checkpoint, restore, run the rest" at every cut', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const { name, machine, steps } of corpus) {
    it(name, async () => {
      const reference = createActor(machine).start();
      await apply((e) => reference.send(e), steps);
      const expected = normal(reference);
      reference.stop();

      for (let cut = 0; cut <= steps.length; cut++) {
        vi.setSystemTime(1_700_000_000_000);
        const store = createMemoryStore();
        const first = await persistActor(machine, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
        await apply((e) => first.actor.send(e), steps.slice(0, cut));
        await first.flush();
        first.actor.stop(); // a crash: no close, no further writes

        const second = await persistActor(machine, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
        expect(second.restored.source, `cut ${cut}`).toBe('checkpoint');
        await apply((e) => second.actor.send(e), steps.slice(cut));
        expect(normal(second.actor), `${name}, cut after step ${cut}`).toBe(expected);
        await second.close();
      }
    });
  }

  it('keeps a callback child running after restore (it is restarted, and the report says so)', async () => {
    let starts = 0;
    const ticker = fromCallback(() => {
      starts++;
      return () => undefined;
    });
    const m = setup({ actors: { ticker } }).createMachine({ id: 'cb', invoke: { src: 'ticker', id: 't' } });
    const store = createMemoryStore();
    const a = await persistActor(m, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
    await a.flush();
    a.actor.stop();
    const b = await persistActor(m, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(b.restored.invocationsRestarted).toBe(true);
    expect(starts).toBe(2);
    await b.close();
  });
});
