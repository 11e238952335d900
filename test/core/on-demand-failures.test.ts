import { describe, expect, it, vi } from 'vitest';
import { assign, createActor, createMachine, fromCallback, setup } from 'xstate';
import { encodeEnvelope } from '../../src/envelope.js';
import type { CheckpointEvent } from '../../src/events.js';
import { persistActor } from '../../src/persist.js';
import { persistTree } from '../../src/tree-capture.js';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { isCheckpointError, type CheckpointError } from '../../src/errors.js';

// What persistActor does when a part it loads on demand cannot load (offline, or a deploy
// replaced the app's chunk files): an io CheckpointError through the path the step's own
// failures take, nothing quarantined, no state lost, and it works once the part loads.
// Each part is made to fail with vi.mock while its flag is set. This file imports no module
// that imports those parts statically (the root entry does), so the first import is the one
// the step makes.

const { down, offline } = vi.hoisted(() => ({
  down: { codec: true, refs: true, reject: true, retention: true, history: true, gzip: true },
  offline: () => new TypeError('Failed to fetch dynamically imported module'),
}));
vi.mock('../../src/codec/index.js', async (actual) => {
  if (down.codec) throw offline();
  return actual();
});
// refs.js is also imported statically (by the full persistedTree behind captureCheckpoint, which
// bundles drop): its import() is made to fail instead, through the loader the save and restore use.
vi.mock('../../src/ref-scan.js', async (actual) => {
  const { onDemand } = await import('../../src/on-demand.js');
  const real = await actual<typeof import('../../src/ref-scan.js')>();
  const refsCode = onDemand('the actor-reference code', async () => {
    if (down.refs) throw offline();
    return import('../../src/refs.js');
  });
  const persistRefsOnDemand: typeof real.persistRefsOnDemand = (value, pathOf) =>
    real.anyReachable(value, 'live') ? refsCode.need().persistRefs(value, pathOf) : value;
  return { ...real, refsCode, persistRefsOnDemand };
});
vi.mock('../../src/restore-reject.js', async (actual) => {
  if (down.reject) throw offline();
  return actual();
});
vi.mock('../../src/gzip.js', async (actual) => {
  if (down.gzip) throw offline();
  return actual();
});
vi.mock('../../src/history.js', async (actual) => {
  if (down.history) throw offline();
  return actual();
});
vi.mock('../../src/retention.js', async (actual) => {
  if (down.retention) throw offline();
  return actual();
});

/** The CheckpointError `promise` rejects with (test/helpers/errors.ts imports the root entry, which loads every part). */
async function errorOf(promise: Promise<unknown>): Promise<CheckpointError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isCheckpointError(error)) throw new Error(`expected a CheckpointError, got ${String(error)}`);
  return error;
}

const machine = createMachine({
  id: 'm',
  context: { n: 0, at: null as Date | null },
  on: {
    INC: { actions: assign({ n: ({ context }) => context.n + 1 }) },
    STAMP: { actions: assign({ at: () => new Date(1_700_000_000_000) }) },
  },
});

const options = (adapter = memoryAdapter(), extra: Record<string, unknown> = {}) => ({
  key: 'k',
  adapter,
  flushOnExit: false,
  debounce: { wait: 0, maxWait: 0 },
  onError: () => undefined,
  ...extra,
});

/** A generation of `machine` whose context holds a Date, written with the real taggedJsonCodec. */
async function richGeneration(adapter: ReturnType<typeof memoryAdapter>, seq: number) {
  const { taggedJsonCodec } =
    await vi.importActual<typeof import('../../src/codec/index.js')>('../../src/codec/index.js');
  const actor = createActor(machine).start();
  actor.send({ type: 'STAMP' });
  const payload = taggedJsonCodec.encode({ snapshot: actor.getPersistedSnapshot(), timers: [] });
  const fields = { machine: 'm', version: 1, seq, epoch: 0, createdAt: 0, codec: 'xsc1' };
  const bytes = encodeEnvelope(fields, payload);
  await adapter.write('k', { seq, epoch: 0, createdAt: 0, byteLength: bytes.length, bytes });
}

describe('the rest of taggedJsonCodec cannot load', () => {
  it('a restore that needs it rejects with io, quarantines nothing and keeps the generation', async () => {
    const adapter = memoryAdapter();
    await richGeneration(adapter, 1);
    const error = await errorOf(persistActor(machine, options(adapter)));
    expect([error.code, error.detail]).toEqual(['io', expect.stringContaining('could not load the tagged-JSON codec')]);
    expect(await adapter.listQuarantine('k')).toEqual([]);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
  });

  it('a save that needs it reports save-error io and is written once it loads; the actor runs on', async () => {
    const adapter = memoryAdapter();
    const events: CheckpointEvent[] = [];
    const persisted = await persistActor(
      machine,
      options(adapter, { onEvent: (e: CheckpointEvent) => events.push(e) }),
    );
    await persisted.flush(); // plain state: written without it
    persisted.actor.send({ type: 'STAMP' });
    expect((await errorOf(persisted.flush())).code).toBe('io');
    expect(events.filter((e) => e.type === 'save-error').map((e) => e.type === 'save-error' && e.error.code)).toEqual([
      'io',
    ]);
    persisted.actor.send({ type: 'INC' });
    expect(persisted.actor.getSnapshot().context.n).toBe(1);
    down.codec = false;
    const info = await persisted.flush();
    expect(info?.seq).toBe(2);
    await persisted.close();
    const back = await persistActor(machine, options(adapter));
    expect(back.actor.getSnapshot().context).toEqual({ n: 1, at: new Date(1_700_000_000_000) });
    await back.close();
  });
});

describe('the actor-reference code cannot load', () => {
  const child = fromCallback(() => () => undefined);
  const holder = setup({ actors: { child } }).createMachine({
    id: 'holder',
    context: { ref: null },
    on: { SPAWN: { actions: assign({ ref: ({ spawn }) => spawn('child', { id: 'c' }) }) } },
  });

  it('a save of a context holding an actor reports save-error io; a restore holding one rejects with io', async () => {
    const adapter = memoryAdapter();
    const persisted = await persistActor(holder, options(adapter));
    await persisted.flush();
    persisted.actor.send({ type: 'SPAWN' });
    expect((await errorOf(persisted.flush())).code).toBe('io');
    await persisted.close().catch(() => undefined);

    // A generation holding a stored reference, written with the real reference code.
    const refs = await vi.importActual<typeof import('../../src/refs.js')>('../../src/refs.js');
    const { taggedJsonCodec } =
      await vi.importActual<typeof import('../../src/codec/index.js')>('../../src/codec/index.js');
    const live = createActor(holder).start();
    live.send({ type: 'SPAWN' });
    const snapshot = persistTree(live, live.getSnapshot(), refs.persistRefs);
    const bytes = encodeEnvelope(
      { machine: 'holder', version: 1, seq: 9, epoch: 0, createdAt: 0, codec: 'xsc1' },
      taggedJsonCodec.encode({ snapshot, timers: [] }),
    );
    const store = memoryAdapter();
    await store.write('k', { seq: 9, epoch: 0, createdAt: 0, byteLength: bytes.length, bytes });
    const error = await errorOf(persistActor(holder, options(store)));
    expect([error.code, error.detail]).toEqual([
      'io',
      expect.stringContaining('could not load the actor-reference code'),
    ]);
    expect(await store.listQuarantine('k')).toEqual([]);

    down.refs = false;
    const back = await persistActor(holder, options(store));
    expect(back.actor.getSnapshot().context.ref).toBe(back.actor.getSnapshot().children['c']);
    await back.close();
  });
});

describe('the restore fallback and the retention code cannot load', () => {
  it('a generation that fails verification makes restore reject with io and quarantines nothing', async () => {
    const adapter = memoryAdapter();
    await richGeneration(adapter, 1);
    const bad = new Uint8Array([1, 2, 3]);
    await adapter.write('k', { seq: 2, epoch: 0, createdAt: 0, byteLength: bad.length, bytes: bad });
    const error = await errorOf(persistActor(machine, options(adapter)));
    expect([error.code, error.detail]).toEqual([
      'io',
      expect.stringContaining('could not load the restore fallback code'),
    ]);
    expect(await adapter.listQuarantine('k')).toEqual([]);
    down.reject = false;
    const back = await persistActor(machine, options(adapter));
    expect(back.restored).toMatchObject({ source: 'checkpoint', seq: 1, quarantined: [2] });
    await back.close();
  });

  it('pruning reports io to onError and keeps every generation until the code loads', async () => {
    const adapter = memoryAdapter();
    const errors: string[] = [];
    const persisted = await persistActor(machine, {
      ...options(adapter),
      retain: { latest: 2 },
      onError: (e: { code: string }) => errors.push(e.code),
    });
    for (let i = 0; i < 4; i++) {
      persisted.actor.send({ type: 'INC' });
      await persisted.flush();
    }
    const kept = (await adapter.list('k')).map((g) => g.seq);
    expect(kept.length).toBeGreaterThan(2);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set(['io']));
    down.retention = false;
    persisted.actor.send({ type: 'INC' });
    const last = await persisted.flush();
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([last!.seq, kept[0]]);
    await persisted.close();
  });
});

describe('the history code cannot load', () => {
  it('list, load, rollback and clear reject with io, change nothing, and work once it loads', async () => {
    const adapter = memoryAdapter();
    const persisted = await persistActor(machine, options(adapter));
    persisted.actor.send({ type: 'INC' });
    const first = await persisted.flush();
    persisted.actor.send({ type: 'INC' });
    await persisted.flush();
    const before = (await adapter.list('k')).map((g) => g.seq);
    for (const call of [
      () => persisted.history.list(),
      () => persisted.history.load(first!.seq),
      () => persisted.history.rollback(first!.seq),
      () => persisted.clear(),
    ]) {
      const error = await errorOf(call());
      expect([error.code, error.detail]).toEqual(['io', expect.stringContaining('could not load the history code')]);
    }
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual(before);
    expect(persisted.actor.getSnapshot().context.n).toBe(2);
    down.history = false;
    expect((await persisted.history.list()).map((g) => g.seq)).toEqual(before);
    await persisted.close();
  });
});

describe('the compression code cannot load', () => {
  it('a compressed generation makes restore reject with io, quarantines nothing; it restores once the code loads', async () => {
    const { deflate } = await vi.importActual<typeof import('../../src/gzip.js')>('../../src/gzip.js');
    const adapter = memoryAdapter();
    const actor = createActor(machine).start();
    actor.send({ type: 'INC' });
    const payload = new TextEncoder().encode(JSON.stringify([{ snapshot: actor.getPersistedSnapshot(), timers: [] }]));
    const packed = (await deflate(payload, 'gzip'))!;
    const fields = { machine: 'm', version: 1, seq: 1, epoch: 0, createdAt: 0, codec: 'xsc1' };
    const bytes = encodeEnvelope({ ...fields, compression: 'gzip', rawLength: payload.length }, packed);
    await adapter.write('k', { seq: 1, epoch: 0, createdAt: 0, byteLength: bytes.length, bytes });
    const error = await errorOf(persistActor(machine, options(adapter)));
    expect([error.code, error.detail]).toEqual(['io', expect.stringContaining('could not load the compression code')]);
    expect(await adapter.listQuarantine('k')).toEqual([]);
    const saved = memoryAdapter();
    const saving = await persistActor(machine, options(saved, { compress: { above: 0 } }));
    saving.actor.send({ type: 'INC' });
    expect((await errorOf(saving.flush())).code).toBe('io');
    expect(await saved.list('k')).toEqual([]);
    down.gzip = false;
    const info = await saving.flush();
    await saving.close();
    expect((await saved.list('k')).map((g) => g.seq)).toEqual([info!.seq]);
    const reread = await persistActor(machine, options(saved));
    expect(reread.actor.getSnapshot().context.n).toBe(1);
    await reread.close();
    const back = await persistActor(machine, options(adapter));
    expect([back.restored.source, back.actor.getSnapshot().context.n]).toEqual(['checkpoint', 1]);
    await back.close();
  });
});
