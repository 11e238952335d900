// Machines for the fidelity corpus of actor references and cycles (issue 11):
// each keeps refs or cycles in context and uses them after every step, so a
// ref that does not come back live changes the state or where events go.
import {
  assign,
  emit,
  enqueueActions,
  sendParent,
  sendTo,
  setup,
  spawnChild,
  stopChild,
  type AnyActorRef,
  type AnyStateMachine,
} from 'xstate';
import type { Step } from '../journal/corpus.js';

const childOf = (ref: AnyActorRef, id: string) =>
  (ref.getSnapshot() as { children: Record<string, AnyActorRef> }).children[id]!;

const counter = setup({}).createMachine({
  context: { hits: 0 },
  on: {
    HIT: { actions: [assign({ hits: ({ context }) => context.hits + 1 }), sendParent({ type: 'HIT_BACK' })] },
  },
});

// A child that keeps its parent's ref and answers through it and through sendParent.
const answering = setup({
  types: { context: {} as { parentRef: AnyActorRef; n: number }, input: {} as { parentRef: AnyActorRef } },
}).createMachine({
  context: ({ input }) => ({ parentRef: input.parentRef, n: 0 }),
  on: {
    PING: {
      actions: [
        assign({ n: ({ context }) => context.n + 1 }),
        sendTo(({ context }) => context.parentRef, { type: 'PONG' }),
        sendParent({ type: 'PARENT' }),
      ],
    },
  },
});
const parentRefs = setup({ actors: { answering } }).createMachine({
  id: 'parentRefs',
  context: { pongs: 0, parents: 0 },
  invoke: { src: 'answering', id: 'c', input: ({ self }) => ({ parentRef: self }) },
  on: {
    PONG: { actions: assign({ pongs: ({ context }) => context.pongs + 1 }) },
    PARENT: { actions: assign({ parents: ({ context }) => context.parents + 1 }) },
    PING: { actions: sendTo('c', { type: 'PING' }) },
  },
});

// Refs to a grandchild (in the root), to a sibling (in a child) and to the root (in a grandchild, from the system).
const leaf = setup({}).createMachine({
  context: { root: undefined as AnyActorRef | undefined, got: 0 },
  on: {
    LEARN: { actions: assign({ root: ({ system }) => system.get('root') as AnyActorRef }) },
    GOT: { actions: assign({ got: ({ context }) => context.got + 1 }) },
    TELL_ROOT: { actions: sendTo(({ context }) => context.root!, { type: 'FROM_LEAF' }) },
  },
});
const mid = setup({ actors: { leaf } }).createMachine({ invoke: { src: 'leaf', id: 'leaf', systemId: 'theLeaf' } });
const peer = setup({ types: { input: {} as { sibling: AnyActorRef } } }).createMachine({
  context: ({ input }) => ({ sibling: input.sibling }),
  on: { POKE: { actions: sendTo(({ context }) => context.sibling, { type: 'GOT' }) } },
});
const leafOf = (self: AnyActorRef) => childOf(childOf(self, 'mid'), 'leaf');
const treeRefs = setup({ actors: { mid, peer } }).createMachine({
  id: 'treeRefs',
  context: { grandchild: undefined as AnyActorRef | undefined, fromLeaf: 0 },
  entry: spawnChild('mid', { id: 'mid' }),
  on: {
    INTRO: {
      actions: [
        assign({ grandchild: ({ self }) => leafOf(self) }),
        spawnChild('peer', { id: 'peer', input: ({ self }) => ({ sibling: leafOf(self) }) }),
        sendTo(({ self }) => leafOf(self), { type: 'LEARN' }),
      ],
    },
    FROM_LEAF: { actions: assign({ fromLeaf: ({ context }) => context.fromLeaf + 1 }) },
    POKE: { actions: sendTo('peer', { type: 'POKE' }) },
    TELL: { actions: sendTo(({ context }) => context.grandchild!, { type: 'TELL_ROOT' }) },
    BY_SYSTEM_ID: { actions: sendTo(({ system }) => system.get('theLeaf') as AnyActorRef, { type: 'GOT' }) },
  },
});

// A list of refs that outlives a stopped child; sends skip the ones that are gone.
const stoppedRefs = setup({ actors: { counter } }).createMachine({
  id: 'stoppedRefs',
  context: ({ spawn }) => ({
    seen: [spawn('counter', { id: 'w1' }), spawn('counter', { id: 'w2' })] as Array<AnyActorRef | undefined>,
    backs: 0,
  }),
  on: {
    STOP: { actions: stopChild('w1') },
    HIT_ALL: {
      actions: enqueueActions(({ context, enqueue }) => {
        for (const ref of context.seen)
          if (ref && ref.getSnapshot().status === 'active') enqueue.sendTo(ref, { type: 'HIT' });
      }),
    },
    HIT_BACK: { actions: assign({ backs: ({ context }) => context.backs + 1 }) },
  },
});

// Refs as Map values, Map keys, Set members and deep in arrays, also added later.
const collections = setup({ actors: { counter } }).createMachine({
  id: 'collections',
  context: ({ spawn }) => {
    const w = spawn('counter', { id: 'w0' });
    return {
      byName: new Map<string, AnyActorRef>([['w0', w]]),
      byRef: new Map<AnyActorRef, string>([[w, 'first']]),
      all: new Set<AnyActorRef>([w]),
      list: [{ deep: { ref: w } }],
      backs: 0,
    };
  },
  on: {
    ADD: {
      actions: assign(({ context, spawn }) => {
        const id = `w${context.byName.size}`;
        const w = spawn('counter', { id });
        return {
          byName: new Map(context.byName).set(id, w),
          byRef: new Map(context.byRef).set(w, id),
          all: new Set(context.all).add(w),
          list: [...context.list, { deep: { ref: w } }],
        };
      }),
    },
    HIT_ALL: {
      actions: enqueueActions(({ context, enqueue }) => {
        for (const ref of context.byName.values()) enqueue.sendTo(ref, { type: 'HIT' });
        for (const ref of context.byRef.keys()) enqueue.sendTo(ref, { type: 'HIT' });
        for (const ref of context.all) enqueue.sendTo(ref, { type: 'HIT' });
        for (const item of context.list) enqueue.sendTo(item.deep.ref, { type: 'HIT' });
      }),
    },
    HIT_BACK: { actions: assign({ backs: ({ context }) => context.backs + 1 }) },
  },
});

// A cyclic context: a ring of nodes, each pointing at the next and at the ring itself.
type Ring = { v: number; next?: Ring; ring: Ring[] };
function ring(n: number, base: number): Ring[] {
  const nodes: Ring[] = [];
  for (let i = 0; i < n; i++) nodes.push({ v: base + i, ring: nodes });
  nodes.forEach((node, i) => (node.next = nodes[(i + 1) % n]!));
  return nodes;
}
const cycles = setup({ types: { context: {} as { head: Ring; sum: number } } }).createMachine({
  id: 'cycles',
  context: () => ({ head: ring(3, 1)[0]!, sum: 0 }),
  on: {
    GROW: { actions: assign({ head: ({ context }) => ring(context.head.ring.length + 1, context.head.v)[0]! }) },
    WALK: {
      actions: assign({
        sum: ({ context }) => context.sum + context.head.next!.next!.v,
        head: ({ context }) => context.head.next!,
      }),
    },
  },
});

// Children that talk at start: an invoked child machine says hello in its entry, the root emits on each.
const greeter = setup({}).createMachine({ entry: sendParent({ type: 'HELLO' }) });
const emitsAtStart = setup({ actors: { greeter } }).createMachine({
  id: 'emitsAtStart',
  context: { hellos: 0 },
  entry: emit({ type: 'root-entry' }),
  invoke: { src: 'greeter', id: 'g' },
  on: {
    HELLO: { actions: [assign({ hellos: ({ context }) => context.hellos + 1 }), emit({ type: 'hello' })] },
    SPAWN: {
      actions: enqueueActions(({ context, enqueue }) => enqueue.spawnChild('greeter', { id: `g${context.hellos}` })),
    },
  },
});

/** The ref and cycle corpus. `listen` marks a machine whose emitted events are compared too. */
export const refCorpus: Array<{ name: string; machine: AnyStateMachine; steps: Step[]; listen?: boolean }> = [
  {
    name: 'parent refs (sendTo(ref) and sendParent)',
    machine: parentRefs,
    steps: [{ type: 'PING' }, { type: 'PING' }],
  },
  {
    name: 'grandchild, sibling, root and systemId refs',
    machine: treeRefs,
    steps: [
      { type: 'INTRO' },
      { type: 'POKE' },
      { type: 'TELL' },
      { type: 'BY_SYSTEM_ID' },
      { type: 'POKE' },
      { type: 'TELL' },
    ],
  },
  {
    name: 'refs to a stopped child in a list',
    machine: stoppedRefs,
    steps: [{ type: 'HIT_ALL' }, { type: 'STOP' }, { type: 'HIT_ALL' }, { type: 'HIT_ALL' }],
  },
  {
    name: 'refs in Map keys and values, Set members, nested arrays',
    machine: collections,
    steps: [{ type: 'HIT_ALL' }, { type: 'ADD' }, { type: 'HIT_ALL' }, { type: 'ADD' }, { type: 'HIT_ALL' }],
  },
  {
    name: 'a cyclic context',
    machine: cycles,
    steps: [{ type: 'WALK' }, { type: 'GROW' }, { type: 'WALK' }, { type: 'WALK' }, { type: 'GROW' }, { type: 'WALK' }],
  },
  {
    name: 'children that emit at start (start: false)',
    machine: emitsAtStart,
    steps: [{ type: 'SPAWN' }, { type: 'SPAWN' }],
    listen: true,
  },
];
