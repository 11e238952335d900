import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assign, createMachine, setup } from 'xstate';
import { migrateSnapshot, persistActor, taggedJsonCodec, type CheckpointAdapter } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import {
  captureCheckpoint,
  checkIdentity,
  decodeCheckpoint,
  prepareCheckpoint,
  validateContext,
  validateSnapshot,
} from 'xstate-checkpoint/pipeline';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { createActor } from 'xstate';
import { codeOf } from '../helpers/errors.js';

const v1 = createMachine({
  id: 'order',
  context: { items: [] as string[] },
  initial: 'cart',
  states: { cart: { on: { PAY: 'paying' } }, paying: { on: { DONE: 'paid' } }, paid: { type: 'final' } },
});
// Version 2 renamed "cart" to "basket" and moved items into lines.
const v2 = createMachine({
  id: 'order',
  context: { lines: [] as Array<{ sku: string }> },
  initial: 'basket',
  states: { basket: { on: { PAY: 'paying' } }, paying: { on: { DONE: 'paid' } }, paid: { type: 'final' } },
});
const migrations = {
  1: (s: { value: string; context: { items: string[] } }) => ({
    ...s,
    value: s.value === 'cart' ? 'basket' : s.value,
    context: { lines: s.context.items.map((sku) => ({ sku })) },
  }),
};

async function store(
  adapter: CheckpointAdapter,
  key: string,
  snapshot: unknown,
  version: number,
  seq: number,
  machine = 'order',
) {
  const payload = taggedJsonCodec.encode({ snapshot, timers: [] });
  const bytes = encodeEnvelope({ machine, version, seq, epoch: 0, createdAt: 1000 + seq, codec: 'xsc1' }, payload);
  await adapter.write(key, { seq, epoch: 0, createdAt: 1000 + seq, byteLength: bytes.length, bytes });
  return bytes;
}

function snapshotOf(machine: typeof v1, events: Array<{ type: string }>, context?: unknown) {
  const actor = createActor(machine).start();
  for (const e of events) actor.send(e);
  const data = captureCheckpoint(actor);
  actor.stop();
  const s = JSON.parse(JSON.stringify(data.snapshot)) as Record<string, unknown>;
  if (context !== undefined) s['context'] = context;
  return s;
}

describe('restore steps, each alone', () => {
  it('decodeCheckpoint verifies and decodes; checkIdentity refuses another machine', async () => {
    const bytes = encodeEnvelope(
      { machine: 'order', version: 1, seq: 3, epoch: 0, createdAt: 1, codec: 'xsc1' },
      taggedJsonCodec.encode({ snapshot: { value: 'cart' }, timers: [] }),
    );
    const decoded = await decodeCheckpoint(bytes, [taggedJsonCodec]);
    expect(decoded.header.seq).toBe(3);
    expect(() => checkIdentity(decoded.header, 'other')).toThrow(expect.objectContaining({ code: 'machine-mismatch' }));
    await expect(decodeCheckpoint(bytes, [{ ...taggedJsonCodec, id: 'x' }])).rejects.toThrow(
      expect.objectContaining({ code: 'decode' }),
    );
  });

  it('migrateSnapshot runs the chain, names a missing or throwing step, refuses a downgrade', () => {
    const r = migrateSnapshot({ n: 1 }, 1, 3, {
      1: (s: { n: number }) => ({ n: s.n + 1 }),
      2: (s: { n: number }) => ({ n: s.n * 10 }),
    });
    expect(r).toEqual({ snapshot: { n: 20 }, applied: [1, 2] });
    expect(() => migrateSnapshot({}, 1, 3, { 1: (s) => s })).toThrow(
      expect.objectContaining({ code: 'migration-missing', message: expect.stringContaining('migrations[2]') }),
    );
    expect(() =>
      migrateSnapshot({}, 1, 2, {
        1: () => {
          throw new Error('nope');
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'migration-failed', message: expect.stringContaining('migrations[1]') }));
    expect(() => migrateSnapshot({}, 3, 2)).toThrow(
      expect.objectContaining({ code: 'version-too-new', fromVersion: 3, toVersion: 2 }),
    );
  });

  it('validateSnapshot checks every path of the state value and the children', () => {
    validateSnapshot(v1, snapshotOf(v1, []));
    expect(() => validateSnapshot(v2, snapshotOf(v1, []))).toThrow(expect.objectContaining({ code: 'invalid-state' }));
    expect(() => validateSnapshot(v1, { ...snapshotOf(v1, []), status: 'stopped' })).toThrow(
      expect.objectContaining({ code: 'invalid-state' }),
    );
    // A child may be stopped (XState stops the children of a finished machine and keeps them listed).
    const child = createMachine({ id: 'kid', initial: 'k', states: { k: {} } });
    const finishes = setup({ actors: { child } }).createMachine({
      initial: 'done',
      states: { done: { type: 'final' } },
    });
    const kid = { src: 'child', snapshot: { status: 'stopped', value: 'k', context: {}, children: {} } };
    validateSnapshot(finishes, { status: 'done', value: 'done', context: {}, children: { kid } });
    expect(() =>
      validateSnapshot(finishes, {
        status: 'done',
        value: 'done',
        context: {},
        children: { kid: { ...kid, snapshot: { ...kid.snapshot, status: 'paused' } } },
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid-state', path: ['children', 'kid', 'snapshot', 'status'] }));
    const parallel = createMachine({
      type: 'parallel',
      states: { a: { initial: 'x', states: { x: {} } }, b: { initial: 'y', states: { y: {} } } },
    });
    validateSnapshot(parallel, { status: 'active', value: { a: 'x', b: 'y' }, context: {}, children: {} });
    expect(() =>
      validateSnapshot(parallel, { status: 'active', value: { a: 'x' }, context: {}, children: {} }),
    ).toThrow(/lacks regions b/);
    expect(() =>
      validateSnapshot(v1, {
        status: 'active',
        value: 'cart',
        context: {},
        children: { kid: { src: 'gone', snapshot: {} } },
      }),
    ).toThrow(expect.objectContaining({ code: 'unknown-child' }));
    // A reference to an actor that is not a stored child is data, not a broken snapshot:
    // restore revives it where its actor is, or drops it and says so (test/core/refs.test.ts).
    validateSnapshot(v1, {
      status: 'active',
      value: 'cart',
      context: { ref: { xstate$$type: 1, id: 'kid' } },
      children: {},
    });
  });

  it('validateContext uses any Standard Schema and reports the path', async () => {
    const schema = z.object({ items: z.array(z.string()) });
    expect(await validateContext(schema, { items: ['a'] })).toEqual({ items: ['a'] });
    const error = await validateContext(schema, { items: [1] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation', path: ['context', 'items', 0] });
  });

  it('prepareCheckpoint chains identity, migration and validation', async () => {
    const bytes = encodeEnvelope(
      { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: 1, codec: 'xsc1' },
      taggedJsonCodec.encode({ snapshot: snapshotOf(v1, [], { items: ['a'] }), timers: [] }),
    );
    const prepared = await prepareCheckpoint(await decodeCheckpoint(bytes, [taggedJsonCodec]), {
      logic: v2,
      machineId: 'order',
      version: 2,
      migrations,
    });
    expect(prepared.applied).toEqual([1]);
    expect(prepared.data.snapshot).toMatchObject({ value: 'basket', context: { lines: [{ sku: 'a' }] } });
  });
});

describe('restore through persistActor', () => {
  it('migrates v1 to v2, writes the result as a new generation and keeps the original', async () => {
    const adapter = memoryAdapter();
    const original = await store(adapter, 'o', snapshotOf(v1, [], { items: ['a', 'b'] }), 1, 1);
    const p = await persistActor(v2, { key: 'o', adapter, version: 2, migrations, flushOnExit: false });
    expect(p.restored).toMatchObject({ source: 'checkpoint', seq: 1, storedVersion: 1, migrationsApplied: [1] });
    expect(p.actor.getSnapshot().value).toBe('basket');
    expect(p.actor.getSnapshot().context.lines).toEqual([{ sku: 'a' }, { sku: 'b' }]);
    await p.flush();
    const gens = await adapter.list('o');
    expect(gens.map((g) => g.seq)).toEqual([2, 1]);
    expect(await adapter.read('o', 1)).toEqual(original);
    await p.close();
  });

  it('refuses a checkpoint from a newer version, leaving it in place', async () => {
    const adapter = memoryAdapter();
    const bytes = await store(adapter, 'o', snapshotOf(v1, []), 5, 1);
    expect(
      await codeOf(
        persistActor(v1, { key: 'o', adapter, version: 2, migrations: { 1: (s) => s }, flushOnExit: false }),
      ),
    ).toBe('version-too-new');
    expect(await adapter.read('o', 1)).toEqual(bytes);
    expect(await adapter.listQuarantine('o')).toEqual([]);
  });

  it('falls back past a renamed state (no migration): quarantines it and reports why', async () => {
    const adapter = memoryAdapter();
    await store(adapter, 'o', snapshotOf(v1, [{ type: 'PAY' }]), 1, 1);
    const bad = await store(adapter, 'o', snapshotOf(v1, []), 1, 2); // "cart" does not exist in v2-as-v1
    const p = await persistActor(v2, { key: 'o', adapter, version: 1, flushOnExit: false, onError: () => undefined });
    expect(p.restored.source).toBe('checkpoint');
    expect(p.restored.seq).toBe(1);
    expect(p.actor.getSnapshot().value).toBe('paying');
    expect(p.restored.rejected).toEqual([
      expect.objectContaining({ seq: 2, code: 'invalid-state', quarantined: true }),
    ]);
    expect(p.restored.quarantined).toEqual([2]);
    const [q] = await adapter.listQuarantine('o');
    expect(await adapter.readQuarantined('o', q!.id)).toEqual(bad);
    await p.close();
  });

  it('names a missing migration step and falls back to a fresh start with the report', async () => {
    const adapter = memoryAdapter();
    await store(adapter, 'o', snapshotOf(v1, []), 1, 1);
    const p = await persistActor(v2, {
      key: 'o',
      adapter,
      version: 3,
      migrations: { 2: (s) => s },
      flushOnExit: false,
    });
    expect(p.restored.source).toBe('fresh');
    expect(p.restored.rejected[0]).toMatchObject({
      seq: 1,
      code: 'migration-missing',
      message: expect.stringContaining('migrations[1]'),
    });
    expect((await adapter.listQuarantine('o')).map((q) => q.seq)).toEqual([1]);
    await p.close();
  });

  it('names a throwing migration step', async () => {
    const adapter = memoryAdapter();
    await store(adapter, 'o', snapshotOf(v1, []), 1, 1);
    const p = await persistActor(v2, {
      key: 'o',
      adapter,
      version: 2,
      migrations: {
        1: () => {
          throw new Error('bad data');
        },
      },
      flushOnExit: false,
    });
    expect(p.restored.rejected[0]).toMatchObject({
      code: 'migration-failed',
      message: expect.stringContaining('bad data'),
    });
    await p.close();
  });

  it('rejects a context that fails the schema', async () => {
    const adapter = memoryAdapter();
    await store(adapter, 'o', snapshotOf(v1, [], { items: [42] }), 1, 1);
    const p = await persistActor(v1, {
      key: 'o',
      adapter,
      schema: z.object({ items: z.array(z.string()) }),
      flushOnExit: false,
    });
    expect(p.restored.rejected[0]).toMatchObject({ code: 'validation' });
    expect(p.actor.getSnapshot().context.items).toEqual([]);
    await p.close();
  });

  it("onRestoreError 'throw' throws restore-failed with the report and quarantines nothing", async () => {
    const adapter = memoryAdapter();
    await store(adapter, 'o', snapshotOf(v1, []), 1, 1, 'someone-else');
    const error = await persistActor(v1, { key: 'o', adapter, onRestoreError: 'throw', flushOnExit: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'restore-failed', key: 'o' });
    expect((error as { data: { rejected: unknown[] } }).data.rejected).toEqual([
      expect.objectContaining({ seq: 1, code: 'machine-mismatch' }),
    ]);
    expect(await adapter.listQuarantine('o')).toEqual([]);
    expect((await adapter.list('o')).map((g) => g.seq)).toEqual([1]);
  });

  it("onRestoreError 'fresh' does not try older generations", async () => {
    const adapter = memoryAdapter();
    await store(adapter, 'o', snapshotOf(v1, [{ type: 'PAY' }]), 1, 1);
    await store(adapter, 'o', { bogus: true }, 1, 2);
    const p = await persistActor(v1, { key: 'o', adapter, onRestoreError: 'fresh', flushOnExit: false });
    expect(p.restored.source).toBe('fresh');
    expect(p.restored.rejected.map((r) => r.seq)).toEqual([2]);
    await p.close();
  });

  it('quarantines corrupt bytes and restores the previous generation', async () => {
    const adapter = memoryAdapter();
    await store(adapter, 'o', snapshotOf(v1, [{ type: 'PAY' }]), 1, 1);
    const good = await store(adapter, 'o', snapshotOf(v1, [{ type: 'PAY' }, { type: 'DONE' }]), 1, 2);
    // Replace generation 2 with a bit-flipped copy under a new sequence 3.
    const flipped = good.slice();
    flipped[flipped.length - 3]! ^= 0x10;
    await adapter.write('o', { seq: 3, epoch: 0, createdAt: 3, byteLength: flipped.length, bytes: flipped });
    const p = await persistActor(v1, { key: 'o', adapter, flushOnExit: false });
    expect(p.restored).toMatchObject({ source: 'checkpoint', seq: 2 });
    expect(p.restored.rejected).toEqual([expect.objectContaining({ seq: 3, code: 'corrupt' })]);
    const [q] = await adapter.listQuarantine('o');
    expect(await adapter.readQuarantined('o', q!.id)).toEqual(flipped);
    // The next write never reuses the quarantined sequence.
    p.actor.send({ type: 'PAY' });
    const info = await p.flush();
    expect(info!.seq).toBeGreaterThan(3);
    await p.close();
  });

  it('refuses a __proto__ payload without touching Object.prototype', async () => {
    const adapter = memoryAdapter();
    const text =
      '[{"snapshot":{"status":"active","value":"cart","context":{"__proto__":{"polluted":true}},"children":{}},"timers":[]}]';
    const bytes = encodeEnvelope(
      { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: 1, codec: 'xsc1' },
      new TextEncoder().encode(text),
    );
    await adapter.write('o', { seq: 1, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
    const p = await persistActor(v1, { key: 'o', adapter, flushOnExit: false });
    expect(p.restored.rejected[0]?.code).toBe('unsafe-payload');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    await p.close();
  });

  it('reports a child whose src no longer exists instead of dropping it silently', async () => {
    const child = createMachine({ id: 'child', initial: 'a', states: { a: { on: { NEXT: 'b' } }, b: {} } });
    const withChild = setup({ actors: { child } }).createMachine({
      id: 'order',
      context: ({ spawn }) => ({ ref: spawn('child', { id: 'kid' }) }),
    });
    const actor = createActor(withChild).start();
    actor.getSnapshot().context.ref.send({ type: 'NEXT' });
    const snap = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Record<string, unknown>;
    actor.stop();
    const adapter = memoryAdapter();
    await store(adapter, 'o', snap, 1, 1);
    const withoutChild = setup({ actors: {} }).createMachine({ id: 'order', context: { ref: undefined } });
    const p = await persistActor(withoutChild, { key: 'o', adapter, flushOnExit: false });
    expect(p.restored).toMatchObject({ source: 'fresh', rejected: [{ code: 'unknown-child' }] });
    await p.close();
    // The refused generation is kept, and the machine that still has the child restores it, child state included
    // (a fresh start would spawn the child in 'a').
    const [kept] = await adapter.listQuarantine('o');
    expect(kept).toMatchObject({ seq: 1 });
    const bytes = (await adapter.readQuarantined('o', kept!.id))!;
    const other = memoryAdapter();
    await other.write('o', { seq: 1, epoch: 0, createdAt: 1001, byteLength: bytes.length, bytes });
    const p2 = await persistActor(withChild, { key: 'o', adapter: other, flushOnExit: false });
    expect(p2.restored).toMatchObject({ source: 'checkpoint', seq: 1, rejected: [] });
    const ref = p2.actor.getSnapshot().context.ref;
    expect(ref).toBe(p2.actor.getSnapshot().children['kid']);
    expect(ref.getSnapshot().value).toBe('b');
    await p2.close();
  });

  it('increments a counter context through assign after restore', async () => {
    const m = createMachine({
      id: 'order',
      context: { n: 0 },
      on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    const adapter = memoryAdapter();
    const a = await persistActor(m, { key: 'k', adapter, flushOnExit: false });
    a.actor.send({ type: 'INC' });
    await a.close();
    const b = await persistActor(m, { key: 'k', adapter, flushOnExit: false });
    b.actor.send({ type: 'INC' });
    expect(b.actor.getSnapshot().context.n).toBe(2);
    await b.close();
  });

  it('saves and restores a context nested 2,000 levels deep, as a JSON round trip does', async () => {
    type Node = { readonly i: number; readonly next: Node | null };
    let list: Node | null = null;
    for (let i = 0; i < 2000; i++) list = { i, next: list };
    const deep = createMachine({ types: {} as { context: { list: Node | null } }, id: 'deep', context: { list } });
    // Compared as text: a deep equality walk of 2,000 levels overflows the test runner's stack.
    const text = JSON.stringify(list);
    const viaJson = JSON.parse(JSON.stringify(createActor(deep).getPersistedSnapshot())) as { context: unknown };
    expect(JSON.stringify(viaJson.context)).toBe(JSON.stringify({ list }));
    const adapter = memoryAdapter();
    const a = await persistActor(deep, { key: 'deep', adapter, flushOnExit: false });
    a.actor.send({ type: 'ANY' });
    expect(await a.flush()).toMatchObject({ seq: 1 });
    await a.close();
    const b = await persistActor(deep, { key: 'deep', adapter, flushOnExit: false });
    expect(b.restored.source).toBe('checkpoint');
    expect(JSON.stringify(b.actor.getSnapshot().context.list)).toBe(text);
    await b.close();
  });
});
