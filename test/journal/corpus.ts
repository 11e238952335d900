// Machines for the journal's differential tests: the restore-fidelity corpus
// of test/core/fidelity.test.ts, mirrored, plus cases that only matter to
// replay (children that talk back, delayed sends, timers of spawned children,
// a systemId re-spawned, a promise child).
import {
  assign,
  cancel,
  createMachine,
  fromPromise,
  raise,
  sendParent,
  sendTo,
  setup,
  type AnyStateMachine,
} from 'xstate';

/** A step is an event to send, or time to let pass. */
export type Step = { type: string; n?: number; msg?: string } | { wait: number };

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

// A child with its own timer, spawned by an event (after the snapshot), answering its parent.
const pinger = createMachine({
  id: 'pinger',
  initial: 'waiting',
  context: { pings: 0 },
  states: {
    waiting: {
      after: {
        400: {
          target: 'waiting',
          reenter: true,
          actions: [sendParent({ type: 'PING' }), assign({ pings: ({ context }) => context.pings + 1 })],
        },
      },
      on: { HUSH: 'quiet' },
    },
    quiet: { on: { WAKE: 'waiting' } },
  },
});

const timersAndChildren = setup({ actors: { pinger } }).createMachine({
  id: 'timers',
  context: { pings: 0, reminders: 0 },
  initial: 'idle',
  states: {
    idle: {
      on: {
        START: 'active',
        REMIND: { actions: raise({ type: 'REMINDER' }, { delay: 700, id: 'reminder' }) },
        FORGET: { actions: cancel('reminder') },
      },
    },
    active: {
      invoke: { src: 'pinger', id: 'pinger', systemId: 'pinger' },
      on: {
        PING: { actions: assign({ pings: ({ context }) => context.pings + 1 }) },
        HUSH: { actions: sendTo('pinger', { type: 'HUSH' }) },
        WAKE_LATER: { actions: sendTo('pinger', { type: 'WAKE' }, { delay: 250 }) },
        // Leaving and re-entering stops the child and invokes a new one under the same systemId.
        RESTART: { target: 'active', reenter: true },
        STOP: 'idle',
      },
    },
  },
  on: { REMINDER: { actions: assign({ reminders: ({ context }) => context.reminders + 1 }) } },
});

// A promise child: its result arrives as an event delivered to the child, then xstate.done.actor.* to the parent.
const withPromise = setup({
  actors: { fetchTotal: fromPromise(async ({ input }: { input: { n: number } }) => input.n * 2) },
}).createMachine({
  id: 'promise',
  context: { total: 0, runs: 0 },
  initial: 'idle',
  states: {
    idle: { on: { FETCH: 'loading' } },
    loading: {
      invoke: {
        src: 'fetchTotal',
        input: ({ context }) => ({ n: context.runs + 20 }),
        onDone: {
          target: 'idle',
          actions: assign(({ context, event }) => ({ total: context.total + event.output, runs: context.runs + 1 })),
        },
      },
    },
  },
});

/** The differential corpus: machine, steps, and whether every cut point can be restored mid-flight. */
// A machine that finishes while it holds an invoked and a spawned child: XState stops both
// and persists them as "stopped" inside the done snapshot (a JSON round trip restores it).
const finishesWithChildren = setup({
  actors: {
    helper: createMachine({
      id: 'helper',
      invoke: { id: 'grandchild', src: createMachine({ id: 'grandchild' }) },
      initial: 'idle',
      states: { idle: { on: { PING: 'pinged' } }, pinged: {} },
    }),
    pending: fromPromise(() => new Promise<never>(() => undefined)),
  },
}).createMachine({
  id: 'finishes',
  context: { ref: undefined },
  entry: assign({ ref: ({ spawn }) => spawn('helper', { id: 'spawned' }) }),
  invoke: [
    { id: 'invoked', src: 'helper' },
    { id: 'waiting', src: 'pending' },
  ],
  initial: 'running',
  states: {
    running: {
      on: { PING: { actions: sendTo('invoked', { type: 'PING' }) }, FINISH: 'done' },
    },
    done: { type: 'final' },
  },
});

export const corpus: Array<{ name: string; machine: AnyStateMachine; steps: Step[] }> = [
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
  {
    name: 'child timers, delayed sends and cancels, a re-spawned systemId',
    machine: timersAndChildren,
    steps: [
      { type: 'REMIND' },
      { wait: 100 },
      { type: 'START' },
      { wait: 450 },
      { type: 'HUSH' },
      { type: 'WAKE_LATER' },
      { wait: 300 },
      { type: 'RESTART' },
      { wait: 500 },
      { type: 'STOP' },
      { type: 'REMIND' },
      { wait: 100 },
      { type: 'FORGET' },
      { wait: 800 },
    ],
  },
  {
    name: 'a promise child',
    machine: withPromise,
    steps: [{ type: 'FETCH' }, { wait: 0 }, { type: 'FETCH' }, { wait: 0 }],
  },
  {
    name: 'a machine that finishes holding an invoked and a spawned child',
    machine: finishesWithChildren,
    steps: [{ type: 'PING' }, { type: 'FINISH' }, { type: 'PING' }],
  },
];
