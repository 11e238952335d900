import { assign, createActor, setup, toPromise, type AnyActorLogic, type AnyActorRef, type Snapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { isCheckpointError, persistActor, taggedJsonCodec, type CheckpointAdapter } from 'xstate-checkpoint';
import { fromResumable, readProgress, watchProgress, type ProgressReport } from 'xstate-checkpoint/durable';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

interface ParentContext {
  output: unknown;
  error: unknown;
}

/** A parent that invokes `batch` and ends with its output (or its error). */
function parentOf(batch: AnyActorLogic, input: unknown) {
  return setup({
    types: {
      context: {} as ParentContext,
      output: {} as ParentContext,
      events: {} as { type: 'cancel' },
    },
    actors: { batch },
  }).createMachine({
    id: 'parent',
    initial: 'running',
    context: { output: undefined, error: undefined },
    states: {
      running: {
        invoke: {
          id: 'batch',
          src: 'batch',
          input,
          onDone: { target: 'done', actions: assign({ output: ({ event }) => event.output }) },
          onError: { target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
        },
        on: { cancel: 'cancelled' },
      },
      cancelled: { type: 'final' },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
    output: ({ context }) => context,
  });
}

/** Checkpoint the way the kit does: the persisted snapshot through the default codec. */
const roundTrip = (actor: AnyActorRef): Snapshot<unknown> =>
  taggedJsonCodec.decode(taggedJsonCodec.encode(actor.getPersistedSnapshot())) as Snapshot<unknown>;

/** The batch child's cursor in a persisted parent, or `undefined` once the child is gone (finished). */
const childCursor = (persisted: unknown): number | undefined =>
  (persisted as { children: { batch?: { snapshot: { cursor: { index: number } } } } }).children.batch?.snapshot.cursor
    .index;

interface Logged {
  log: number[];
}

/** Squares of the items, folded by a reducer that mutates its accumulator on purpose. */
function listBatch(sink: Logged, checkpointEvery = 1) {
  return fromResumable({
    items: ({ input }: { input: { n: number } }) => range(0, input.n),
    process: async ({ item, index }) => {
      sink.log.push(index);
      await tick();
      return item * item;
    },
    initial: () => ({ sum: 0, seen: [] as number[] }),
    reduce: (acc, square, item) => {
      acc.sum += square;
      acc.seen.push(item);
      return acc;
    },
    checkpointEvery,
  });
}

/** The same work from a paged source of 5 items a page, with string page tokens. */
function pagedBatch(sink: Logged) {
  return fromResumable({
    load: async ({ input, page }: { input: { n: number }; page: string | null; signal: AbortSignal }) => {
      await tick();
      const start = page === null ? 0 : Number(page.slice(1));
      const end = Math.min(input.n, start + 5);
      return { items: range(start, end), next: end < input.n ? `p${end}` : null, total: input.n };
    },
    process: async ({ item, index }) => {
      sink.log.push(index);
      await tick();
      return item * item;
    },
    initial: () => ({ sum: 0, seen: [] as number[] }),
    reduce: (acc, square, item) => ({ sum: acc.sum + square, seen: [...acc.seen, item] }),
  });
}

/**
 * Restore fidelity: checkpoint at every snapshot change of the system (each
 * cut point), stop, restore from the checkpoint, finish, and compare with an
 * uninterrupted run. Also checks that the restored run redoes nothing before
 * the checkpointed cursor and skips nothing after it.
 */
async function checkEveryCutPoint(make: (sink: Logged) => AnyActorLogic, n: number, every = 1) {
  const reference: Logged = { log: [] };
  const referenceActor = createActor(parentOf(make(reference), { n }));
  let cutPoints = 0;
  referenceActor.system.inspect((event) => {
    if (event.type === '@xstate.snapshot') cutPoints++;
  });
  const expected = await toPromise(referenceActor.start());
  expect(reference.log).toEqual(range(0, n));
  expect(cutPoints).toBeGreaterThan(3);

  const cursors = new Set<number>();
  for (let cut = 1; cut <= cutPoints; cut++) {
    const first: Logged = { log: [] };
    const machine = parentOf(make(first), { n });
    const actor = createActor(machine);
    let seen = 0;
    let checkpoint: Snapshot<unknown> | undefined;
    actor.system.inspect((event) => {
      if (event.type !== '@xstate.snapshot' || checkpoint !== undefined || ++seen < cut) return;
      checkpoint = roundTrip(actor);
      actor.stop();
    });
    actor.start();
    while (checkpoint === undefined && actor.getSnapshot().status === 'active') await tick();
    if (checkpoint === undefined) throw new Error(`cut point ${cut} was never reached`);
    const cursor = childCursor(checkpoint) ?? n;
    cursors.add(cursor);
    const second: Logged = { log: [] };
    const restored = createActor(parentOf(make(second), { n }), { snapshot: checkpoint });
    const output = await toPromise(restored.start());
    expect(output, `cut point ${cut}`).toEqual(expected);
    expect(first.log, `cut point ${cut}: first run stops at the checkpoint`).toEqual(range(0, cursor));
    expect(second.log, `cut point ${cut}: restored run resumes at the cursor`).toEqual(range(cursor, n));
  }
  // Every published cursor position was a cut point at least once.
  expect([...cursors].sort((a, b) => a - b)).toEqual([...new Set([...range(0, n).filter((i) => i % every === 0), n])]);
}

/** A new memory adapter holding the generations of `key` up to and including `seq`: the store as a crash at that moment left it. */
async function storeAsOf(source: CheckpointAdapter, key: string, seq: number): Promise<CheckpointAdapter> {
  const copy = memoryAdapter();
  for (const generation of (await source.list(key)).reverse()) {
    if (generation.seq > seq) break;
    await copy.write(key, { ...generation, bytes: (await source.read(key, generation.seq))! });
  }
  return copy;
}

describe('fromResumable', () => {
  it('processes a list in order and outputs the folded result to the parent', async () => {
    const sink: Logged = { log: [] };
    const output = await toPromise(createActor(parentOf(listBatch(sink), { n: 6 })).start());
    expect(output.output).toEqual({ sum: 0 + 1 + 4 + 9 + 16 + 25, seen: [0, 1, 2, 3, 4, 5] });
    expect(sink.log).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('resumes a list batch at the checkpointed item from every cut point', async () => {
    await checkEveryCutPoint((sink) => listBatch(sink), 9);
  });

  it('resumes a paged batch at the checkpointed page and offset from every cut point', async () => {
    await checkEveryCutPoint((sink) => pagedBatch(sink), 12);
  });

  it('resumes from every cut point when the cursor is published every 4 items', async () => {
    await checkEveryCutPoint((sink) => listBatch(sink, 4), 10, 4);
  });

  it('through persistActor: a crash after any generation restores at its cursor and finishes like an uninterrupted run', async () => {
    const n = 10;
    const options = { key: 'job', debounce: { wait: 0, maxWait: 0 }, retain: { latest: 1000 }, flushOnExit: false };
    const expected = await toPromise(createActor(parentOf(listBatch({ log: [] }), { n })).start());
    const adapter = memoryAdapter();
    const first = await persistActor(parentOf(listBatch({ log: [] }), { n }), { ...options, adapter });
    await toPromise(first.actor);
    await first.close();
    const generations = await adapter.list('job');
    expect(generations.length).toBeGreaterThan(n / 2);

    const cursors = new Set<number>();
    for (const { seq } of generations) {
      const sink: Logged = { log: [] };
      const restored = await persistActor(parentOf(listBatch(sink), { n }), {
        ...options,
        adapter: await storeAsOf(adapter, 'job', seq),
      });
      expect(restored.restored).toMatchObject({ source: 'checkpoint', seq });
      const snapshot = restored.actor.getSnapshot();
      const child = snapshot.children['batch']?.getSnapshot() as { cursor: { index: number } } | undefined;
      const cursor = snapshot.status === 'done' ? n : (child?.cursor.index ?? 0);
      cursors.add(cursor);
      const output = await toPromise(restored.actor);
      await restored.close();
      expect(output, `generation ${seq}`).toEqual(expected);
      expect(sink.log, `generation ${seq}`).toEqual(range(cursor, n));
    }
    expect(cursors.size).toBeGreaterThan(n / 2);
  });

  it('publishes the cursor only after the item handler has finished', async () => {
    const violations: string[] = [];
    const cursorNow = () => childCursor(actor.getPersistedSnapshot());
    const batch = fromResumable({
      items: () => range(0, 5),
      process: async ({ index }) => {
        if (cursorNow() !== index) violations.push(`before ${index}: cursor ${cursorNow()}`);
        await tick();
        if (cursorNow() !== index) violations.push(`after ${index}: cursor ${cursorNow()}`);
      },
    });
    const actor = createActor(parentOf(batch, {}));
    await toPromise(actor.start());
    expect(violations).toEqual([]);
  });

  it('publishes every N items and at the end with checkpointEvery', async () => {
    const sink: Logged = { log: [] };
    const actor = createActor(parentOf(listBatch(sink, 4), { n: 10 }));
    const cursors: number[] = [];
    actor.system.inspect((event) => {
      const progress = event.type === '@xstate.snapshot' ? readProgress(event.snapshot) : undefined;
      if (progress) cursors.push(progress.done);
    });
    await toPromise(actor.start());
    expect([...new Set(cursors)]).toEqual([0, 4, 8, 10]);
  });

  it('hands each snapshot its own copy of the result, so a mutating reducer cannot leak ahead of the cursor', async () => {
    const sink: Logged = { log: [] };
    const actor = createActor(parentOf(listBatch(sink), { n: 6 }));
    const captured: Array<{ cursor: number; seen: number[] }> = [];
    actor.system.inspect((event) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef === actor) return;
      const snapshot = event.snapshot as unknown as { cursor: { index: number }; result: { seen: number[] } };
      captured.push({ cursor: snapshot.cursor.index, seen: snapshot.result.seen });
    });
    await toPromise(actor.start());
    expect(captured.length).toBeGreaterThan(6);
    for (const { cursor, seen } of captured) expect(seen).toEqual(range(0, cursor));
  });

  it('gives the handler an idempotency key of key and index that survives a restore', async () => {
    const keys: string[] = [];
    const make = () =>
      fromResumable({
        items: ({ input }: { input: { job: string } }) => ['a', 'b', 'c'].map((letter) => `${input.job}-${letter}`),
        process: async ({ idempotencyKey }) => {
          keys.push(idempotencyKey);
          await tick();
        },
        key: ({ input }) => `job:${input.job}`,
      });
    const actor = createActor(parentOf(make(), { job: 'j7' }));
    let checkpoint: Snapshot<unknown> | undefined;
    actor.system.inspect((event) => {
      if (checkpoint === undefined && event.type === '@xstate.snapshot' && readProgress(event.snapshot)?.done === 1) {
        checkpoint = roundTrip(actor);
        actor.stop();
      }
    });
    actor.start();
    while (checkpoint === undefined) await tick();
    await toPromise(createActor(parentOf(make(), { job: 'j7' }), { snapshot: checkpoint }).start());
    expect(keys).toEqual(['job:j7:0', 'job:j7:1', 'job:j7:2']);

    const byId: string[] = [];
    const defaultKey = fromResumable({
      items: () => [1, 2],
      process: ({ idempotencyKey }) => byId.push(idempotencyKey),
    });
    await toPromise(createActor(parentOf(defaultKey, {})).start());
    expect(byId).toEqual(['batch:0', 'batch:1']);
  });

  it('fails the actor with the handler error and keeps the cursor of the items already done', async () => {
    const boom = new Error('row 3 is malformed');
    const batch = fromResumable({
      items: () => range(0, 6),
      process: async ({ index }) => {
        await tick();
        if (index === 3) throw boom;
      },
    });
    const actor = createActor(parentOf(batch, {}));
    let failed: unknown;
    actor.system.inspect((event) => {
      if (event.type === '@xstate.snapshot' && event.actorRef !== actor && event.snapshot.status === 'error') {
        failed = event.snapshot;
      }
    });
    const output = await toPromise(actor.start());
    expect(output.error).toBe(boom);
    expect(failed).toMatchObject({ status: 'error', error: boom, cursor: { index: 3 }, progress: { done: 3 } });
  });

  it('aborts the handler signal and processes nothing more when the parent leaves the state', async () => {
    const processed: number[] = [];
    let signal: AbortSignal | undefined;
    let release!: () => void;
    const batch = fromResumable({
      items: () => range(0, 5),
      process: async ({ index, signal: itemSignal }) => {
        processed.push(index);
        signal = itemSignal;
        if (index === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    const actor = createActor(parentOf(batch, {})).start();
    while (processed.length < 2) await tick();
    actor.send({ type: 'cancel' });
    expect(signal?.aborted).toBe(true);
    release();
    await tick();
    await tick();
    expect(processed).toEqual([0, 1]);
    expect(actor.getSnapshot().value).toBe('cancelled');
  });

  it('reports progress through watchProgress, once per change, with the path of the child', async () => {
    const reports: ProgressReport[] = [];
    const batch = fromResumable({
      load: ({ page }: { input: unknown; page: number | null; signal: AbortSignal }) =>
        page === null ? { items: [1, 2], next: 1, total: 3 } : { items: [3], total: 3 },
      process: async () => {
        await tick();
      },
    });
    const actor = createActor(parentOf(batch, {}));
    const subscription = watchProgress(actor, (report) => reports.push(report));
    await toPromise(actor.start());
    subscription.unsubscribe();
    expect(reports).toEqual([
      { actorId: 'batch', done: 0 },
      { actorId: 'batch', done: 1, total: 3 },
      { actorId: 'batch', done: 2, total: 3 },
      { actorId: 'batch', done: 3, total: 3 },
    ]);
  });

  it('refuses options it cannot use with invalid-option', () => {
    const cases = [
      () => fromResumable({ process: () => undefined }),
      () => fromResumable({ items: () => [], load: () => ({ items: [] }), process: () => undefined }),
      () => fromResumable({ items: () => [], process: () => undefined, checkpointEvery: 0 }),
      () => fromResumable({ items: () => [], process: () => undefined, checkpointEvery: 1.5 }),
    ];
    for (const make of cases) {
      let caught: unknown;
      try {
        make();
      } catch (error) {
        caught = error;
      }
      expect(isCheckpointError(caught) && caught.code).toBe('invalid-option');
    }
  });

  it('lets timers and I/O run while a handler that never waits works through a long batch', async () => {
    const n = 300_000;
    const batch = fromResumable({ items: () => range(0, n), process: ({ item }) => item, checkpointEvery: 100 });
    const actor = createActor(parentOf(batch, {}));
    const doneWhenTimerFired = new Promise<number>((resolve) => {
      setTimeout(() => resolve(readProgress(actor.getSnapshot().children['batch']?.getSnapshot())?.done ?? n), 1);
    });
    actor.start();
    const [done] = await Promise.all([doneWhenTimerFired, toPromise(actor)]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(n);
  });

  it('finishes at once on an empty source', async () => {
    const batch = fromResumable({ items: () => [], process: () => 1, initial: () => 'empty' });
    const output = await toPromise(createActor(parentOf(batch, {})).start());
    expect(output.output).toBe('empty');
  });
});
