import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCheckpointError, persistActor, taggedJsonCodec, type CheckpointAdapter } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { captureCheckpoint } from 'xstate-checkpoint/pipeline';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { machine, own, twoGenerations, writeGeneration, type Stored } from './hostile-support.js';

/*
 * Structured fuzzer: real checkpoints of a machine with children, timers,
 * history and a parallel value get their ids, paths and codec tags replaced by
 * values that are never valid there (names of Object.prototype, wrong types,
 * malformed markers), then the envelope is rebuilt with valid checksums, so
 * every byte reaches the restore pipeline. Wherever a mutation lands, restore
 * must end in one of two ways: the mutated generation restores to exactly the
 * snapshot that was saved (the mutation hit something that does not matter,
 * e.g. the path of a timer whose receiver stopped), or it is refused with a
 * typed code, quarantined, and the older generation restored. Never an
 * uncaught error, never a success with another snapshot.
 */

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const utf8 = new TextEncoder();
const text = new TextDecoder();

// Values never valid as an id or path element where they are put.
const hostileName = fc.constantFrom(
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'isPrototypeOf',
);
const hostileValue = fc.oneof(
  { weight: 3, arbitrary: hostileName },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(7, -1, null, true, {}, [], [[]], { id: 'kid' }, Number.NaN, '') },
);

type Mutate = (d: Stored) => void;
/** A mutation that prints as what it does (for fast-check's counterexamples). */
const named = <F extends object>(what: unknown[], fn: F): F =>
  Object.assign(fn, {
    [fc.toStringMethod]: () => JSON.stringify(what, (_k, v: unknown) => (v === undefined ? 'undefined' : v)),
  });
/** The stored entry of child "kid", unless an earlier mutation replaced it. */
const kidOf = (d: Stored): Record<string, unknown> | undefined => {
  const children = d.snapshot.children as unknown;
  if (typeof children !== 'object' || children === null || !Object.hasOwn(children, 'kid')) return undefined;
  const entry: unknown = (children as Record<string, unknown>)['kid'];
  return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
};
const pick = <T>(list: readonly T[], i: number): T | undefined =>
  list.length === 0 ? undefined : list[i % list.length];

const timerMutation: fc.Arbitrary<Mutate> = fc
  .tuple(
    fc.nat(),
    fc.constantFrom('source', 'target'),
    fc.nat(),
    hostileValue,
    fc.constantFrom('set', 'append', 'whole'),
  )
  .map(([i, field, j, value, how]) =>
    named([i, field, j, value, how], (d: Stored) => {
      const timer = pick(d.timers, i) as unknown as Record<string, unknown> | undefined;
      if (typeof timer !== 'object' || timer === null) return;
      const path = timer[field];
      if (!Array.isArray(path)) return;
      if (how === 'whole') timer[field] = value;
      else if (how === 'append' || path.length === 0) path.push(value);
      else path[j % path.length] = value;
    }),
  );
const timerFieldMutation: fc.Arbitrary<Mutate> = fc
  .tuple(fc.nat(), fc.constantFrom('event', 'id', 'deadline'), hostileValue)
  .map(([i, field, value]) =>
    named([i, field, value], (d: Stored) => {
      const timer = pick(d.timers, i) as unknown as Record<string, unknown> | undefined;
      if (typeof timer !== 'object' || timer === null) return;
      // A string id is a valid timer id; every other hostile value is not.
      if (!(field === 'id' && typeof value === 'string')) timer[field] = value;
    }),
  );
const childMutation: fc.Arbitrary<Mutate> = fc
  .tuple(fc.constantFrom('id', 'src', 'systemId', 'entry', 'children'), hostileValue)
  .map(([what, value]) =>
    named([what, value], (d: Stored) => {
      const children = d.snapshot.children;
      const entry = kidOf(d);
      if (!entry) return;
      if (what === 'id') d.snapshot.children = own({}, '__proto__', entry);
      else if (what === 'src') entry['src'] = value;
      // A string systemId is valid (XState keeps them in a Map); other values are not.
      else if (what === 'systemId') entry['systemId'] = typeof value === 'string' ? { name: value } : value;
      else if (what === 'entry') children['kid'] = (typeof value === 'object' && value !== null ? 'x' : value) as never;
      else d.snapshot.children = (Array.isArray(value) ? value : [entry]) as never;
    }),
  );
const valueMutation: fc.Arbitrary<Mutate> = fc
  .tuple(fc.constantFrom('main', 'side', 'key', 'status', 'child'), hostileValue)
  .map(([where, value]) =>
    named([where, value], (d: Stored) => {
      const v = d.snapshot.value as Record<string, unknown>;
      if (where === 'status') d.snapshot['status'] = value;
      if (where === 'status' || typeof v !== 'object' || v === null) return;
      if (where === 'main') v['main'] = value;
      else if (where === 'side') v['side'] = typeof value === 'object' && value !== null ? 'side' : value;
      else if (where === 'key') own(v, typeof value === 'string' ? value : '__proto__', 'a');
      else {
        const child = kidOf(d)?.['snapshot'];
        if (typeof child === 'object' && child !== null) (child as Record<string, unknown>)['value'] = value;
      }
    }),
  );
const historyMutation: fc.Arbitrary<Mutate> = fc
  .tuple(hostileName, fc.constantFrom('key', 'entry', 'whole'), hostileValue)
  .map(([name, how, value]) =>
    named([name, how, value], (d: Stored) => {
      if (how === 'key') d.snapshot.historyValue = own({}, name, [{ id: 'host.main.a' }]);
      else if (how === 'entry') d.snapshot.historyValue = { 'host.main.hist': Array.isArray(value) ? 'x' : value };
      else d.snapshot.historyValue = typeof value === 'object' && value !== null && !Array.isArray(value) ? 7 : value;
    }),
  );
const mutation = fc.oneof(timerMutation, timerFieldMutation, childMutation, valueMutation, historyMutation);

// Codec tags made malformed in the payload text: each is refused by the decoder.
const badTags = ['"~q"', '"~dx"', '"~bzz"', '"~@999999"', '"~tBogus:AA=="', '"~R"', '"~nFoo"', '["~M",1]', '["~E"]'];
const tagMutation = fc
  .tuple(fc.nat(), fc.constantFrom(...badTags), fc.constantFrom('marker', 'flags'))
  .map(([i, tag, where]) =>
    named([i, tag, where], (payload: string): string => {
      if (where === 'flags') return payload.replace(/,\d\]$/, `,${[0, 2, 8, 9, 1.5][i % 5]!}]`);
      const markers = [...payload.matchAll(/"~u"/g)];
      const at = pick(markers, i)?.index;
      return at === undefined ? payload : `${payload.slice(0, at)}${tag}${payload.slice(at + 4)}`;
    }),
  );

let adapterBase: { good: Uint8Array; goodSeq: number; saved: unknown; data: Stored };
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => void uncaught.push(error);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const { adapter, newestSeq, data } = await twoGenerations('base');
  const good = (await adapter.read('base', newestSeq))!;
  adapterBase = { good, goodSeq: newestSeq, saved: data.snapshot, data };
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

async function seeded(): Promise<CheckpointAdapter> {
  const adapter = memoryAdapter();
  const { good, goodSeq } = adapterBase;
  await adapter.write('k', { seq: goodSeq, epoch: 0, createdAt: 1, byteLength: good.length, bytes: good });
  return adapter;
}

/** Restores `k` and checks the outcome: the saved snapshot of the mutated generation, or typed and the older one. */
async function restoreAndJudge(adapter: CheckpointAdapter, bad: number, mutatedSaved: unknown): Promise<string> {
  let p;
  try {
    p = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
  } catch (error) {
    // With the default fallback there is always the good generation: a throw is a failure, typed or not.
    throw new Error(`persistActor rejected: ${isCheckpointError(error) ? error.code : String(error)}`, {
      cause: error,
    });
  }
  try {
    const now = captureCheckpoint(p.actor).snapshot;
    if (p.restored.seq === bad) {
      expect(p.restored.rejected).toEqual([]);
      expect(taggedJsonCodec.decode(taggedJsonCodec.encode(now))).toEqual(mutatedSaved);
      return 'restored';
    }
    expect(p.restored.seq).toBe(adapterBase.goodSeq);
    expect(p.restored.rejected.map((r) => r.seq)).toEqual([bad]);
    expect(p.restored.quarantined).toEqual([bad]);
    expect(taggedJsonCodec.decode(taggedJsonCodec.encode(now))).toEqual(adapterBase.saved);
    return p.restored.rejected[0]!.code;
  } finally {
    await p.close();
  }
}

describe('structured fuzzer: mutated ids, paths and tags of real checkpoints', () => {
  it('zero uncaught errors and zero silently wrong restores', async () => {
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 2 }),
        fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: tagMutation }),
        async (mutations, tag) => {
          const data = structuredClone(adapterBase.data);
          for (const m of mutations) m(data);
          const adapter = await seeded();
          const bad = adapterBase.goodSeq + 1;
          if (tag) {
            const payload = utf8.encode(tag(text.decode(taggedJsonCodec.encode(data))));
            const bytes = encodeEnvelope(
              { machine: 'host', version: 1, seq: bad, epoch: 0, createdAt: 1, codec: 'xsc1' },
              payload,
            );
            await adapter.write('k', { seq: bad, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
          } else await writeGeneration(adapter, 'k', bad, data);
          const outcome = await restoreAndJudge(adapter, bad, data.snapshot);
          codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS },
    );
    expect(uncaught).toEqual([]);
    // The fuzzer must really reach the typed refusals, not only harmless spots.
    for (const code of ['unsafe-payload', 'invalid-state', 'unknown-child', 'decode'])
      expect(codes.get(code)).toBeGreaterThan(0);
  });
});
