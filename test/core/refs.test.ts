// Actor references anywhere in a context survive a checkpoint (issue 11): to the
// parent, the root, a sibling, a grandchild, inside Map and Set, in cycles; a
// reference whose actor is gone becomes undefined and the report lists it.
import { describe, expect, it } from 'vitest';
import {
  assign,
  createActor,
  fromPromise,
  sendParent,
  sendTo,
  setup,
  spawnChild,
  stopChild,
  type AnyActorLogic,
  type AnyActorRef,
} from 'xstate';
import { persistActor, taggedJsonCodec, type PersistOptions, type RequiredInput } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { createRestoredActor, persistedTree } from 'xstate-checkpoint/pipeline';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'xstate-checkpoint/adapters/memory';

type Ctx = Record<string, unknown>;
const ctxOf = (ref: AnyActorRef | undefined) => (ref?.getSnapshot() as { context: Ctx }).context;
const childOf = (ref: AnyActorRef, id: string) =>
  (ref.getSnapshot() as { children: Record<string, AnyActorRef> }).children[id]!;

async function persisted<T extends AnyActorLogic>(
  logic: T,
  store: MemoryStore,
  extra: Partial<PersistOptions<T>> = {},
) {
  return persistActor(logic, {
    key: 'k',
    adapter: memoryAdapter({ store }),
    flushOnExit: false,
    logger: () => undefined,
    ...extra,
  } as PersistOptions<T> & RequiredInput<T>);
}

/** Runs `before` on a first actor, checkpoints, "crashes", restores a second one. */
async function roundTrip<T extends AnyActorLogic>(logic: T, before: (actor: AnyActorRef) => void) {
  const store = createMemoryStore();
  const a = await persisted(logic, store);
  before(a.actor);
  await a.flush();
  a.actor.stop();
  const b = await persisted(logic, store);
  return b;
}

// A child that keeps the ref its parent gave it, and answers through it and through sendParent.
const child = setup({
  types: { context: {} as { parentRef: AnyActorRef; n: number }, input: {} as { parentRef: AnyActorRef } },
}).createMachine({
  id: 'child',
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
const parent = setup({ actors: { child } }).createMachine({
  id: 'parent',
  context: { pongs: 0, parents: 0 },
  invoke: { src: 'child', id: 'c', input: ({ self }) => ({ parentRef: self }) },
  on: {
    PONG: { actions: assign({ pongs: ({ context }) => context.pongs + 1 }) },
    PARENT: { actions: assign({ parents: ({ context }) => context.parents + 1 }) },
    PING: { actions: sendTo('c', { type: 'PING' }) },
  },
});

describe('actor references in context survive restore', () => {
  it('a child keeps its parent ref: restored (not rejected), and sendTo(ref) and sendParent reach the new parent', async () => {
    const b = await roundTrip(parent, (a) => a.send({ type: 'PING' }));
    expect(b.restored.source).toBe('checkpoint');
    expect(b.restored.rejected).toEqual([]);
    expect(b.restored.droppedRefs).toEqual([]);
    expect(ctxOf(childOf(b.actor, 'c'))['parentRef']).toBe(b.actor);
    b.actor.send({ type: 'PING' });
    expect(ctxOf(b.actor)).toEqual({ pongs: 2, parents: 2 });
    expect(ctxOf(childOf(b.actor, 'c'))['n']).toBe(2);
    await b.close();
  });

  it('refs inside Map, Set, arrays and nested objects come back live; the actor does not fail on them', async () => {
    const worker = setup({}).createMachine({
      context: { hits: 0 },
      on: { HIT: { actions: assign({ hits: ({ context }) => context.hits + 1 }) } },
    });
    const holder = setup({ actors: { worker } }).createMachine({
      id: 'holder',
      context: ({ spawn }) => {
        const w = spawn('worker', { id: 'w' });
        return {
          byName: new Map<string, AnyActorRef>([['w', w]]),
          byRef: new Map<AnyActorRef, string>([[w, 'worker']]),
          all: new Set<AnyActorRef>([w]),
          list: [{ deep: { ref: w } }],
        };
      },
      on: {
        HIT_ALL: {
          actions: [
            sendTo(({ context }) => context.byName.get('w')!, { type: 'HIT' }),
            sendTo(({ context }) => [...context.byRef.keys()][0]!, { type: 'HIT' }),
            sendTo(({ context }) => [...context.all][0]!, { type: 'HIT' }),
            sendTo(({ context }) => context.list[0]!.deep.ref, { type: 'HIT' }),
          ],
        },
      },
    });
    const b = await roundTrip(holder, (a) => a.send({ type: 'HIT_ALL' }));
    const w = childOf(b.actor, 'w');
    const ctx = ctxOf(b.actor) as {
      byName: Map<string, AnyActorRef>;
      byRef: Map<AnyActorRef, string>;
      all: Set<AnyActorRef>;
      list: Array<{ deep: { ref: AnyActorRef } }>;
    };
    expect(ctx.byName.get('w')).toBe(w);
    expect(ctx.byRef.get(w)).toBe('worker');
    expect([...ctx.all]).toEqual([w]);
    expect(ctx.list[0]!.deep.ref).toBe(w);
    b.actor.send({ type: 'HIT_ALL' });
    expect(b.actor.getSnapshot().status).toBe('active');
    expect(ctxOf(w)['hits']).toBe(8);
    await b.close();
  });

  it('refs to a sibling, a grandchild and the root (by systemId) come back as those actors', async () => {
    const leaf = setup({}).createMachine({
      context: { root: undefined as AnyActorRef | undefined, got: 0 },
      on: {
        LEARN: { actions: assign({ root: ({ system }) => system.get('root') as AnyActorRef }) },
        GOT: { actions: assign({ got: ({ context }) => context.got + 1 }) },
        TELL_ROOT: { actions: sendTo(({ context }) => context.root!, { type: 'FROM_LEAF' }) },
      },
    });
    const mid = setup({ actors: { leaf } }).createMachine({ invoke: { src: 'leaf', id: 'leaf' } });
    const peer = setup({ types: { input: {} as { sibling: AnyActorRef } } }).createMachine({
      context: ({ input }) => ({ sibling: input.sibling }),
      on: { POKE: { actions: sendTo(({ context }) => context.sibling, { type: 'GOT' }) } },
    });
    const leafOf = (self: AnyActorRef) => childOf(childOf(self, 'mid'), 'leaf');
    const root = setup({ actors: { mid, peer } }).createMachine({
      id: 'root',
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
      },
    });
    const store = createMemoryStore();
    const a = await persisted(root, store, { systemId: 'root' });
    a.actor.send({ type: 'INTRO' });
    a.actor.send({ type: 'POKE' });
    await a.flush();
    a.actor.stop();
    const b = await persisted(root, store, { systemId: 'root' });
    expect(b.restored.droppedRefs).toEqual([]);
    const leafActor = childOf(childOf(b.actor, 'mid'), 'leaf');
    expect(ctxOf(b.actor)['grandchild']).toBe(leafActor);
    expect(ctxOf(childOf(b.actor, 'peer'))['sibling']).toBe(leafActor);
    expect(ctxOf(leafActor)['root']).toBe(b.actor);
    b.actor.send({ type: 'POKE' });
    b.actor.send({ type: 'TELL' });
    expect(ctxOf(leafActor)['got']).toBe(2);
    expect(ctxOf(b.actor)['fromLeaf']).toBe(1);
    await b.close();
  });

  it('a ref to a stopped child becomes undefined, and the report lists where it was and its id', async () => {
    const worker = setup({}).createMachine({});
    const keeper = setup({ actors: { worker } }).createMachine({
      id: 'keeper',
      context: ({ spawn }) => ({ seen: [spawn('worker', { id: 'w1' }), spawn('worker', { id: 'w2' })] }),
      on: { STOP: { actions: stopChild('w1') } },
    });
    const b = await roundTrip(keeper, (a) => a.send({ type: 'STOP' }));
    expect(b.restored.source).toBe('checkpoint');
    const seen = ctxOf(b.actor)['seen'] as unknown[];
    expect(seen).toEqual([undefined, childOf(b.actor, 'w2')]);
    expect(b.restored.droppedRefs).toEqual([{ path: ['context', 'seen', 0], id: 'w1' }]);
    await b.close();
  });

  it('a cyclic context is saved and restored with its cycle (XState recurses forever)', async () => {
    type Node = { v: number; self?: Node; list: Node[] };
    const cyclic = setup({ types: { context: {} as { n: Node } } }).createMachine({
      id: 'cyclic',
      context: () => {
        const n: Node = { v: 1, list: [] };
        n.self = n;
        n.list.push(n);
        return { n };
      },
      on: {
        BUMP: {
          actions: assign({
            n: ({ context }) => {
              const n: Node = { v: context.n.v + 1, list: [] };
              n.self = n;
              n.list.push(n);
              return n;
            },
          }),
        },
      },
    });
    expect(() => createActor(cyclic).start().getPersistedSnapshot()).toThrow(RangeError);
    const b = await roundTrip(cyclic, (a) => a.send({ type: 'BUMP' }));
    const n = ctxOf(b.actor)['n'] as Node;
    expect(n.v).toBe(2);
    expect(n.self).toBe(n);
    expect(n.list[0]).toBe(n);
    b.actor.send({ type: 'BUMP' });
    expect((ctxOf(b.actor)['n'] as Node).v).toBe(3);
    await b.close();
  });

  it('reads references as XState writes them ({ xstate$$type, id }): own child, else the holder or an ancestor', async () => {
    // A generation holding XState's own markers, as an older kit wrote them.
    // The root's generated id differs per process; an explicit one (the `id` option) matches.
    const live = createActor(parent, { id: 'the-parent' }).start();
    const store = createMemoryStore();
    const snapshot = JSON.parse(JSON.stringify(live.getPersistedSnapshot())) as unknown;
    live.stop();
    const payload = taggedJsonCodec.encode({ snapshot, timers: [] });
    const bytes = encodeEnvelope(
      { machine: 'parent', version: 1, seq: 1, epoch: 0, createdAt: 1, codec: 'xsc1' },
      payload,
    );
    await memoryAdapter({ store }).write('k', { seq: 1, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
    const b = await persisted(parent, store, { id: 'the-parent' });
    expect(b.restored.source).toBe('checkpoint');
    expect(ctxOf(childOf(b.actor, 'c'))['parentRef']).toBe(b.actor);
    await b.close();
  });

  it('a malformed stored path is a rejected generation (typed, inside the pipeline), not a crash', async () => {
    const store = createMemoryStore();
    const live = createActor(parent).start();
    const snapshot = persistedTree(live) as { children: { c: { snapshot: { context: Ctx } } } };
    live.stop();
    snapshot.children.c.snapshot.context['parentRef'] = { xstate$$type: 1, id: 'x:0', path: 'toString' };
    const payload = taggedJsonCodec.encode({ snapshot, timers: [] });
    const bytes = encodeEnvelope(
      { machine: 'parent', version: 1, seq: 1, epoch: 0, createdAt: 1, codec: 'xsc1' },
      payload,
    );
    await memoryAdapter({ store }).write('k', { seq: 1, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
    const b = await persisted(parent, store);
    expect(b.restored.source).toBe('fresh');
    expect(b.restored.rejected.map((r) => r.code)).toEqual(['invalid-state']);
    await b.close();
  });

  it('createRestoredActor leaves its input alone: two actors from one snapshot have their own refs', () => {
    const live = createActor(parent).start();
    const snapshot = taggedJsonCodec.decode(taggedJsonCodec.encode(persistedTree(live)));
    live.stop();
    const one = createRestoredActor(parent, snapshot, {}).actor;
    const two = createRestoredActor(parent, snapshot, {}).actor;
    expect(ctxOf(childOf(one, 'c'))['parentRef']).toBe(one);
    expect(ctxOf(childOf(two, 'c'))['parentRef']).toBe(two);
    const stored = (snapshot as { children: { c: { snapshot: { context: Ctx } } } }).children.c.snapshot.context;
    expect(stored['parentRef']).toEqual({ xstate$$type: 1, id: live.id, path: [] });
  });

  it('journal mode revives references the same way (restore and replay)', async () => {
    const store = createMemoryStore();
    const a = await persisted(parent, store, { journal: { verifyReplay: false } });
    a.actor.send({ type: 'PING' });
    await a.flush();
    a.actor.stop(); // a crash: the journal holds PING, no generation covers it
    const b = await persisted(parent, store, { journal: true });
    expect(b.restored.rejected).toEqual([]);
    expect(ctxOf(b.actor)).toEqual({ pongs: 1, parents: 1 });
    expect(ctxOf(childOf(b.actor, 'c'))['parentRef']).toBe(b.actor);
    b.actor.send({ type: 'PING' });
    expect(ctxOf(b.actor)).toEqual({ pongs: 2, parents: 2 });
    await b.close();
  });
});

describe('refs and cycles together', () => {
  it('a ref inside a cycle, shared twice, comes back live with the cycle and the sharing intact', async () => {
    type Node = { self?: Node; child: AnyActorRef; peers: Map<AnyActorRef, Node> };
    const worker = setup({}).createMachine({});
    const m = setup({ actors: { worker }, types: { context: {} as { a: Node; b: Node } } }).createMachine({
      id: 'cyclicRefs',
      context: ({ spawn }) => {
        const child = spawn('worker', { id: 'w' });
        const n: Node = { child, peers: new Map() };
        n.self = n;
        n.peers.set(child, n);
        return { a: n, b: n };
      },
    });
    const b = await roundTrip(m, () => undefined);
    const { a, b: same } = ctxOf(b.actor) as { a: Node; b: Node };
    const w = childOf(b.actor, 'w');
    expect(same).toBe(a);
    expect(a.self).toBe(a);
    expect(a.child).toBe(w);
    expect(a.peers.get(w)).toBe(a);
    expect(b.restored.droppedRefs).toEqual([]);
    await b.close();
  });
});

describe('refs outside machine contexts', () => {
  it("a promise child's input keeps its parent ref: the restarted promise reaches the new parent", async () => {
    const calls: AnyActorRef[] = [];
    const never = new Promise<never>(() => undefined);
    const task = fromPromise<never, { parent: AnyActorRef }>(({ input }) => {
      calls.push(input.parent);
      input.parent.send({ type: 'RAN' });
      return never;
    });
    const m = setup({ actors: { task } }).createMachine({
      id: 'withTask',
      context: { ran: 0 },
      invoke: { src: 'task', id: 't', input: ({ self }) => ({ parent: self }) },
      on: { RAN: { actions: assign({ ran: ({ context }) => context.ran + 1 }) } },
    });
    const b = await roundTrip(m, () => undefined);
    expect(b.restored.invocationsRestarted).toBe(true);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toBe(b.actor);
    expect(ctxOf(b.actor)['ran']).toBe(2); // 1 from the checkpoint, 1 from the restarted promise
    await b.close();
  });
});

describe('invocationsRestarted says what happened', () => {
  it('is false for a restored machine without promise, callback or observable actors', async () => {
    const b = await roundTrip(parent, (a) => a.send({ type: 'PING' }));
    expect(b.restored.source).toBe('checkpoint');
    expect(b.restored.invocationsRestarted).toBe(false);
    await b.close();
  });
});
