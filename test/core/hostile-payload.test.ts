import { describe, expect, it } from 'vitest';
import { assign, createActor, setup, type InspectionEvent } from 'xstate';
import { isCheckpointError, persistActor, taggedJsonCodec } from 'xstate-checkpoint';
import { encodeJournaledEvent, type JournaledActor } from 'xstate-checkpoint/journal';
import { loadGeneration } from 'xstate-checkpoint/pipeline';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { machine, own, twoGenerations, writeGeneration, type Stored } from './hostile-support.js';

type Mutation = (d: Stored) => void;
const firstTimer = (d: Stored) => d.timers.find((t) => t.target.length > 0) ?? d.timers[0]!;
const kid = (d: Stored) => d.snapshot.children['kid']!;

// Every path-like field of the stored snapshot, with the code its hostile form is refused with.
const cases: Array<[string, Mutation, string]> = [
  [
    'timer target ["__proto__"]',
    (d) => void ((firstTimer(d) as { target: string[] }).target = ['__proto__']),
    'unsafe-payload',
  ],
  [
    'timer target ["constructor"]',
    (d) => void ((firstTimer(d) as { target: string[] }).target = ['constructor']),
    'unsafe-payload',
  ],
  [
    'timer target ["toString"]',
    (d) => void ((firstTimer(d) as { target: string[] }).target = ['toString']),
    'unsafe-payload',
  ],
  [
    'timer target ["kid", "__proto__"]',
    (d) => void ((firstTimer(d) as { target: string[] }).target = ['kid', '__proto__']),
    'unsafe-payload',
  ],
  [
    'timer source ["__proto__"]',
    (d) => void ((firstTimer(d) as { source: string[] }).source = ['__proto__']),
    'unsafe-payload',
  ],
  [
    'timer source ["hasOwnProperty"]',
    (d) => void ((firstTimer(d) as { source: string[] }).source = ['hasOwnProperty']),
    'unsafe-payload',
  ],
  ['timer target with a number', (d) => void ((firstTimer(d) as { target: unknown[] }).target = [7]), 'decode'],
  ['timer target not a list', (d) => void ((firstTimer(d) as { target: unknown }).target = 'kid'), 'decode'],
  ['timer deadline Infinity', (d) => void ((firstTimer(d) as { deadline: number }).deadline = Infinity), 'decode'],
  ['timer event without a type', (d) => void ((firstTimer(d) as { event: unknown }).event = {}), 'decode'],
  ['timers not a list', (d) => void ((d as { timers: unknown }).timers = { 0: firstTimer(d) }), 'decode'],
  [
    'child id "__proto__"',
    (d) => {
      const entry = kid(d);
      d.snapshot.children = own({}, '__proto__', entry);
    },
    'unsafe-payload',
  ],
  ['child entry not an object', (d) => void (d.snapshot.children['kid'] = 5 as never), 'invalid-state'],
  ['children an array', (d) => void (d.snapshot.children = [kid(d)] as never), 'invalid-state'],
  ['child src "toString"', (d) => void (kid(d)['src'] = 'toString'), 'unknown-child'],
  ['child src "__proto__"', (d) => void (kid(d)['src'] = '__proto__'), 'unknown-child'],
  ['child src "constructor"', (d) => void (kid(d)['src'] = 'constructor'), 'unknown-child'],
  ['child src inline to no state', (d) => void (kid(d)['src'] = 'xstate.invoke.0.toString'), 'unknown-child'],
  ['child src a number', (d) => void (kid(d)['src'] = 3), 'unknown-child'],
  ['child systemId an object', (d) => void (kid(d)['systemId'] = { id: 'x' }), 'invalid-state'],
  [
    'two children with one systemId',
    (d) => void (d.snapshot.children['twin'] = { ...kid(d), snapshot: structuredClone(kid(d)['snapshot']) }),
    'invalid-state',
  ],
  [
    'child snapshot value "__proto__"',
    (d) => void ((kid(d)['snapshot'] as { value: unknown }).value = '__proto__'),
    'invalid-state',
  ],
  [
    'state value key "__proto__"',
    (d) => void (d.snapshot.value = own({ side: {} }, '__proto__', 'a')),
    'invalid-state',
  ],
  ['state value "toString"', (d) => void (d.snapshot.value = { main: 'toString', side: {} }), 'invalid-state'],
  [
    'state value key "constructor"',
    (d) => void (d.snapshot.value = { main: 'a', side: {}, constructor: 'x' }),
    'invalid-state',
  ],
  [
    'history key "__proto__"',
    (d) => void (d.snapshot.historyValue = own({}, '__proto__', [{ id: 'host.main.a' }])),
    'unsafe-payload',
  ],
  [
    'history key "toString"',
    (d) => void (d.snapshot.historyValue = { toString: [{ id: 'host.main.a' }] }),
    'unsafe-payload',
  ],
  [
    'history entry not a list',
    (d) => void (d.snapshot.historyValue = { 'host.main.hist': { id: 'host.main.a' } }),
    'invalid-state',
  ],
  ['history value a list', (d) => void (d.snapshot.historyValue = [[{ id: 'host.main.a' }]]), 'invalid-state'],
  ['history value null', (d) => void (d.snapshot.historyValue = null), 'invalid-state'],
  ['status "toString"', (d) => void (d.snapshot['status'] = 'toString'), 'invalid-state'],
];

describe('hostile ids and paths in a stored snapshot: typed, quarantined, the older generation restored', () => {
  it.each(cases)('%s', async (_name, mutate, code) => {
    const key = 'hostile';
    const { adapter, clock, newestSeq, data } = await twoGenerations(key);
    mutate(data);
    const bad = newestSeq + 1;
    await writeGeneration(adapter, key, bad, data);
    const p = await persistActor(machine, { key, adapter, clock, flushOnExit: false });
    expect(p.restored.rejected.map((r) => [r.seq, r.code])).toEqual([[bad, code]]);
    expect(p.restored.quarantined).toEqual([bad]);
    expect(p.restored.seq).toBe(newestSeq);
    expect(p.actor.getSnapshot().context.n).toBe(2);
    // The restored actor works: its child is there and the delayed events were re-armed.
    expect(p.restored.timersRestored).toBeGreaterThanOrEqual(2);
    expect(Object.keys(p.actor.getSnapshot().children)).toEqual(['kid']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    await p.close();
  });

  it('a context ref to "__proto__" never hands Object.prototype to the actor', async () => {
    const { adapter, clock, newestSeq, data } = await twoGenerations('ref');
    (data.snapshot['context'] as Record<string, unknown>)['peer'] = { xstate$$type: 1, id: '__proto__' };
    await writeGeneration(adapter, 'ref', newestSeq + 1, data);
    const p = await persistActor(machine, { key: 'ref', adapter, clock, flushOnExit: false });
    const peer = (p.actor.getSnapshot().context as Record<string, unknown>)['peer'];
    // Either refused (typed, older one restored) or restored with the dangling ref dropped.
    if (p.restored.seq === newestSeq) expect(p.restored.rejected[0]?.code).toMatch(/unknown-child|unsafe-payload/);
    else expect(peer).toBeUndefined();
    expect(peer).not.toBe(Object.prototype);
    await p.close();
  });

  it('a delayed event whose receiver stopped is restored without it, not refused', async () => {
    const { adapter, clock, newestSeq, data } = await twoGenerations('gone');
    (firstTimer(data) as { target: string[] }).target = ['stopped-long-ago'];
    await writeGeneration(adapter, 'gone', newestSeq + 1, data);
    const p = await persistActor(machine, { key: 'gone', adapter, clock, flushOnExit: false });
    expect(p.restored.seq).toBe(newestSeq + 1);
    expect(p.restored.rejected).toEqual([]);
    expect(p.restored.timersRestored).toBe(data.timers.length - 1);
    await p.close();
  });
});

describe('hostile paths in journal entries', () => {
  it.each([['__proto__'], ['toString'], ['kid', 'constructor'], ['nope']])(
    'an entry for %s is skipped on replay, as XState drops an event to an actor that is not there',
    async (...target) => {
      const adapter = memoryAdapter();
      const p = (await persistActor(machine, {
        key: 'jp',
        adapter,
        flushOnExit: false,
        journal: { compactOnClose: false },
      })) as JournaledActor<typeof machine>;
      await p.send({ type: 'INC' });
      await p.close();
      const store = adapter.journal!;
      const { entries } = await store.read('jp', 0);
      const seq = entries[entries.length - 1]!.seq + 1;
      const bytes = encodeJournaledEvent(taggedJsonCodec, Date.now(), { type: 'INC' }, target, target);
      await store.append('jp', [{ seq, bytes }], 0);
      const q = (await persistActor(machine, {
        key: 'jp',
        adapter,
        flushOnExit: false,
        journal: true,
      })) as JournaledActor<typeof machine>;
      expect(q.restored.journal.lastSeq).toBe(seq);
      expect(q.restored.journal.skipped).toBeGreaterThanOrEqual(1);
      expect(q.actor.getSnapshot().context.n).toBe(1);
      await q.close();
    },
  );
});

describe('the depth cap on the write side', () => {
  const deep = (n: number): Record<string, unknown> => {
    let v: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < n; i++) v = { v };
    return v;
  };
  const holder = setup({
    types: { context: {} as { tree: unknown }, events: {} as { type: 'SET'; tree: unknown } },
  }).createMachine({
    id: 'holder',
    context: { tree: null },
    on: { SET: { actions: assign({ tree: ({ event }) => event.tree }) } },
  });

  it('saves and restores data past the default depth when limits.maxDepth is raised (as restore allows)', async () => {
    const adapter = memoryAdapter();
    const limits = { maxDepth: 2300 };
    const errors: string[] = [];
    const p = await persistActor(holder, {
      key: 'deep',
      adapter,
      flushOnExit: false,
      limits,
      onError: (e) => void errors.push(e.code),
    });
    const tree = deep(2200);
    p.actor.send({ type: 'SET', tree });
    await expect(p.flush()).resolves.toMatchObject({ seq: 1 });
    expect(errors).toEqual([]);
    await p.close();
    const q = await persistActor(holder, { key: 'deep', adapter, flushOnExit: false, limits });
    expect(q.restored.seq).toBe(1);
    expect(q.actor.getSnapshot().context.tree).toEqual(tree);
    await q.close();
  });

  it('refuses at save what a lowered limits.maxDepth would refuse at restore, older generations stay', async () => {
    const adapter = memoryAdapter();
    const limits = { maxDepth: 20 };
    const p = await persistActor(holder, {
      key: 'shallow',
      adapter,
      flushOnExit: false,
      limits,
      onError: () => undefined,
    });
    p.actor.send({ type: 'SET', tree: deep(5) });
    const ok = await p.flush();
    p.actor.send({ type: 'SET', tree: deep(30) });
    const error: unknown = await p.flush().catch((e: unknown) => e);
    expect(isCheckpointError(error) && error.code).toBe('too-deep');
    expect((await adapter.list('shallow')).map((g) => g.seq)).toEqual([ok!.seq]);
    await p.close().catch(() => undefined);
  });
});

describe('the value cap on the write side', () => {
  const list = setup({
    types: { context: {} as { items: number[] }, events: {} as { type: 'ADD'; n: number } },
  }).createMachine({
    id: 'list',
    context: { items: [] },
    on: {
      ADD: {
        actions: assign({ items: ({ context, event }) => [...context.items, ...Array<number>(event.n).fill(0)] }),
      },
    },
  });

  it('a checkpoint that restore would refuse is not written: flush rejects too-large, older generations stay', async () => {
    const adapter = memoryAdapter();
    const limits = { maxValues: 2000 };
    const errors: string[] = [];
    const onError = (e: { code: string }) => void errors.push(e.code);
    const p = await persistActor(list, { key: 'cap', adapter, flushOnExit: false, limits, onError });
    p.actor.send({ type: 'ADD', n: 1500 });
    const ok = await p.flush();
    p.actor.send({ type: 'ADD', n: 1500 });
    const error: unknown = await p.flush().catch((e: unknown) => e);
    expect(isCheckpointError(error) && error.code).toBe('too-large');
    expect(isCheckpointError(error) && error.message).toContain('not written: restore would refuse');
    expect(errors).toContain('too-large');
    expect((await adapter.list('cap')).map((g) => g.seq)[0]).toBe(ok!.seq);
    await p.close().catch(() => undefined);
    const q = await persistActor(list, { key: 'cap', adapter, flushOnExit: false, limits });
    expect(q.restored.seq).toBe(ok!.seq);
    expect(q.actor.getSnapshot().context.items).toHaveLength(1500);
    await q.close();
  });
});

describe('header seq', () => {
  it('an envelope copied over a newer generation is refused (corrupt) and the newest real one restored', async () => {
    const { adapter, clock, newestSeq } = await twoGenerations('copied');
    const older = (await adapter.read('copied', newestSeq - 1))!;
    // Someone copies generation newestSeq - 1 into a newer slot (a restore from backup, a manual fix).
    await adapter.write('copied', {
      seq: newestSeq + 1,
      epoch: 0,
      createdAt: 1,
      byteLength: older.length,
      bytes: older,
    });
    const p = await persistActor(machine, { key: 'copied', adapter, clock, flushOnExit: false });
    expect(p.restored.rejected).toEqual([expect.objectContaining({ seq: newestSeq + 1, code: 'corrupt' })]);
    expect(p.restored.rejected[0]!.message).toContain(`stored as generation ${newestSeq + 1}`);
    expect(p.restored.seq).toBe(newestSeq);
    expect(p.actor.getSnapshot().context.n).toBe(2);
    await expect(p.history.load(newestSeq - 1)).resolves.toMatchObject({ seq: newestSeq - 1 });
    await p.close();
  });

  it('loading one generation (history.load) refuses one whose header names another seq', async () => {
    const { adapter, newestSeq } = await twoGenerations('load');
    const older = (await adapter.read('load', newestSeq - 1))!;
    await adapter.write('load', { seq: newestSeq + 5, epoch: 0, createdAt: 1, byteLength: older.length, bytes: older });
    const ctx = { logic: machine, machineId: 'host', version: 1 };
    const error: unknown = await loadGeneration(
      adapter,
      'load',
      newestSeq + 5,
      [taggedJsonCodec],
      undefined,
      ctx,
    ).catch((e: unknown) => e);
    expect(isCheckpointError(error) && error.code).toBe('corrupt');
    await expect(loadGeneration(adapter, 'load', newestSeq, [taggedJsonCodec], undefined, ctx)).resolves.toMatchObject({
      seq: newestSeq,
    });
  });
});

describe('a failed persistActor releases what it acquired', () => {
  it('with lock: true, a restore that throws lets a second persistActor take the key', async () => {
    const { adapter, clock, newestSeq, data } = await twoGenerations('locked');
    (firstTimer(data) as { target: string[] }).target = ['toString'];
    await writeGeneration(adapter, 'locked', newestSeq + 1, data);
    const options = { key: 'locked', adapter, clock, flushOnExit: false, lock: true } as const;
    const error: unknown = await persistActor(machine, { ...options, onRestoreError: 'throw' }).catch(
      (e: unknown) => e,
    );
    expect(isCheckpointError(error) && error.code).toBe('restore-failed');
    const p = await persistActor(machine, options);
    expect(p.restored.seq).toBe(newestSeq);
    await p.close();
  });

  it('with lock: true, an actor that throws while starting releases the lock and its subscriptions', async () => {
    const { adapter, clock } = await twoGenerations('start');
    let armed = false;
    // Thrown by the root's first snapshot at start: XState passes that throw on to `start()`.
    const inspect = (event: InspectionEvent) => {
      if (
        armed &&
        event.type === '@xstate.snapshot' &&
        (event.actorRef as { _parent?: unknown })._parent === undefined
      ) {
        throw new RangeError('inspector failed');
      }
    };
    const options = { key: 'start', adapter, clock, flushOnExit: false, lock: true } as const;
    armed = true;
    const error: unknown = await persistActor(machine, { ...options, inspect }).catch((e: unknown) => e);
    armed = false;
    expect(isCheckpointError(error) && error.code).toBe('invalid-state');
    const p = await persistActor(machine, options);
    expect(p.restored.source).toBe('checkpoint');
    await p.close();
  });
});

describe('user data that looks hostile but is data', () => {
  const dictionary = setup({
    types: { context: {} as { words: Record<string, number> }, events: {} as { type: 'ADD'; word: string } },
  }).createMachine({
    id: 'dict',
    context: { words: {} },
    on: {
      ADD: {
        actions: assign({
          words: ({ context, event }) => {
            const words = JSON.parse(JSON.stringify(context.words)) as Record<string, number>;
            own(words, event.word, (Object.hasOwn(words, event.word) ? words[event.word]! : 0) + 1);
            return words;
          },
        }),
      },
    },
  });

  it('a context with own "__proto__", "constructor" and "~" keys is durable and restores them as own keys', async () => {
    const adapter = memoryAdapter();
    const p = await persistActor(dictionary, { key: 'd', adapter, flushOnExit: false });
    for (const word of ['__proto__', 'constructor', 'toString', '~tilde', '__proto__'])
      p.actor.send({ type: 'ADD', word });
    await expect(p.flush()).resolves.toMatchObject({ seq: expect.any(Number) });
    await p.close();
    const q = await persistActor(dictionary, { key: 'd', adapter, flushOnExit: false });
    const words = q.actor.getSnapshot().context.words;
    expect(q.restored.source).toBe('checkpoint');
    expect(Object.keys(words)).toEqual(['__proto__', 'constructor', 'toString', '~tilde']);
    expect(Object.getOwnPropertyDescriptor(words, '__proto__')?.value).toBe(2);
    expect(Object.getPrototypeOf(words)).toBe(Object.prototype);
    await q.close();
  });

  it('the same in journal mode (snapshot, replay and journal entries)', async () => {
    const adapter = memoryAdapter();
    const p = (await persistActor(dictionary, {
      key: 'j',
      adapter,
      flushOnExit: false,
      journal: { compactOnClose: false },
    })) as JournaledActor<typeof dictionary>;
    await p.send({ type: 'ADD', word: '__proto__' });
    // A snapshot generation holding the key, then journal entries replayed onto it.
    await p.compact();
    await p.send({ type: 'ADD', word: 'a' });
    await p.send({ type: 'ADD', word: '__proto__' });
    await p.close();
    const q = await persistActor(dictionary, { key: 'j', adapter, flushOnExit: false, journal: true });
    const words = q.actor.getSnapshot().context.words;
    expect(Object.keys(words)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(words, '__proto__')?.value).toBe(2);
    await q.close();
  });

  it('XState itself keeps such a key on a JSON round trip (the floor this matches)', () => {
    const actor = createActor(dictionary).start();
    actor.send({ type: 'ADD', word: '__proto__' });
    const snapshot: unknown = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    actor.stop();
    const back = createActor(dictionary, { snapshot: snapshot as never }).start();
    expect(Object.hasOwn(back.getSnapshot().context.words, '__proto__')).toBe(true);
    back.stop();
  });
});
