import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMachine, assign } from 'xstate';
import { isCheckpointError, persistActor, taggedJsonCodec } from 'xstate-checkpoint';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { refsCode } from '../../src/ref-scan.js';
import { defaultCodec, fullCodec } from '../../src/codec/default.js';
import { onDemand, withParts } from '../../src/on-demand.js';
import { errorOf } from '../helpers/errors.js';

// The parts of the kit loaded with import() on first use: the loader, and the default codec
// that keeps plain data at start and loads the rest of taggedJsonCodec for the rest.

describe('onDemand and withParts', () => {
  it('loads once, and a failed load is an io error naming the part, tried again on the next call', async () => {
    let calls = 0;
    const part = onDemand('the test part', async () => {
      if (++calls === 1) throw new TypeError('Failed to fetch dynamically imported module');
      return { answer: 42 };
    });
    const failed = await part.load().catch((e: unknown) => e);
    expect(isCheckpointError(failed) && [failed.code, failed.detail]).toEqual([
      'io',
      expect.stringContaining('could not load the test part'),
    ]);
    expect(isCheckpointError(failed) && failed.cause).toBeInstanceOf(TypeError);
    expect(part.loaded).toBeUndefined();
    expect((await part.load()).answer).toBe(42);
    await part.load();
    expect([calls, part.loaded]).toEqual([2, { answer: 42 }]);
  });

  it('need() throws an io error until loaded; withParts loads what the step asked for and runs it again', async () => {
    const part = onDemand('the doubling code', async () => ({ twice: (n: number) => 2 * n }));
    expect(errorOf(() => part.need()).code).toBe('io');
    let runs = 0;
    const result = await withParts(() => {
      runs++;
      return part.need().twice(21);
    });
    expect([result, runs]).toEqual([42, 2]);
  });

  it('withParts rejects with the io error of a part that cannot load, and passes other errors through', async () => {
    const broken = onDemand('the broken part', () => Promise.reject(new TypeError('offline')));
    const error = await withParts(() => broken.need()).catch((e: unknown) => e);
    expect(isCheckpointError(error) && error.detail).toMatch(/could not load the broken part/);
    const other = new RangeError('not ours');
    await expect(
      withParts(() => {
        throw other;
      }),
    ).rejects.toBe(other);
  });
});

describe('what an app of plain data loads', () => {
  it('saves and restores an XState snapshot (undefined output and error, nested context) with neither part loaded', async () => {
    const machine = createMachine({
      id: 'cart',
      context: { items: [{ sku: 'a', qty: 1, note: '~gift' }], total: 0, coupon: undefined as string | undefined },
      initial: 'open',
      states: { open: { on: { ADD: { actions: assign({ total: ({ context }) => context.total + 1 }) } } } },
    });
    const adapter = memoryAdapter();
    const first = await persistActor(machine, { key: 'c', adapter, flushOnExit: false });
    first.actor.send({ type: 'ADD' });
    await first.flush();
    await first.close();
    const second = await persistActor(machine, { key: 'c', adapter, flushOnExit: false });
    expect(second.restored.source).toBe('checkpoint');
    expect(second.actor.getSnapshot().context).toEqual({ items: [{ sku: 'a', qty: 1, note: '~gift' }], total: 1 });
    await second.close();
    expect([fullCodec.loaded, refsCode.loaded]).toEqual([undefined, undefined]);
  });
});

describe('defaultCodec: taggedJsonCodec in two parts', () => {
  it('writes and reads plain JSON data without loading the rest of the codec, byte for byte as taggedJsonCodec', () => {
    // JSON data the format writes as it is: no -0 (JSON turns it into 0), no string with a leading "~", no "__proto__" key.
    const plain = fc
      .jsonValue()
      .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
      .filter((v) => !/"~|"__proto__":/.test(JSON.stringify(v)));
    fc.assert(
      fc.property(plain, (value) => {
        const bytes = defaultCodec.encode(value);
        expect(bytes).toEqual(taggedJsonCodec.encode(value));
        expect(defaultCodec.decode(bytes)).toEqual(taggedJsonCodec.decode(bytes));
      }),
      { numRuns: 300 },
    );
    expect(fullCodec.loaded).toBeUndefined();
  });

  it('writes the markers every snapshot holds itself (undefined, "~" strings, NaN, -0), byte for byte', () => {
    const values: unknown[] = [
      { status: 'active', output: undefined, error: undefined, context: { n: 1 } },
      ['~tilde', undefined, NaN, -0, Infinity, -Infinity, () => 1],
      { keep: 1, drop: () => 1, sym: Symbol('s') },
      '~',
      undefined,
    ];
    for (const value of values) {
      const bytes = defaultCodec.encode(value);
      expect(bytes).toEqual(taggedJsonCodec.encode(value));
      expect(defaultCodec.decode(bytes)).toEqual(taggedJsonCodec.decode(bytes));
    }
    expect(fullCodec.loaded).toBeUndefined();
  });

  it('writes and reads data with those markers at any depth without the rest of the codec, byte for byte', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.string().map((s) => `~${s}`),
      fc.double(),
      fc.constantFrom(undefined, null, true, false, NaN, -0, Infinity, -Infinity),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('tree'), { maxLength: 4 }),
      object: fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        tie('tree'),
        { maxKeys: 4 },
      ),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        const bytes = defaultCodec.encode(value);
        expect(bytes).toEqual(taggedJsonCodec.encode(value));
        expect(defaultCodec.decode(bytes)).toEqual(taggedJsonCodec.decode(bytes));
      }),
      { numRuns: 500 },
    );
    expect(fullCodec.loaded).toBeUndefined();
  });

  it('asks for the rest of the codec for a value only it writes (Date, Map, BigInt, a shared object, ...)', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const cases: unknown[] = [
      { at: new Date(0) },
      { m: new Map([[1, 2]]) },
      { s: new Set([1]) },
      { big: 1n },
      { a: shared, b: shared },
      cyclic,
      JSON.parse('{"__proto__":1}'),
      { withJson: { toJSON: () => 1 } },
      new (class Point {
        x = 1;
      })(),
    ];
    for (const value of cases) expect(errorOf(() => defaultCodec.encode(value)).code).toBe('io');
    const rich = taggedJsonCodec.encode({ at: new Date(0) });
    expect(errorOf(() => defaultCodec.decode(rich)).code).toBe('io');
    expect(fullCodec.loaded).toBeUndefined();
  });

  it('writes and reads anything as taggedJsonCodec does once the rest is loaded through withParts', async () => {
    const values = fc.sample(fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true }), 200);
    for (const value of values) {
      const bytes = await withParts(() => defaultCodec.encode(value));
      expect(bytes).toEqual(taggedJsonCodec.encode(value));
      expect(await withParts(() => defaultCodec.decode(bytes))).toEqual(taggedJsonCodec.decode(bytes));
    }
    expect(fullCodec.loaded).toBeDefined();
  });

  it('keeps every guard of the untrusted path on plain payloads (size, depth, __proto__, UTF-8)', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(errorOf(() => defaultCodec.decode(text('[{"a":1}]'), { maxBytes: 4 })).code).toBe('too-large');
    expect(errorOf(() => defaultCodec.decode(text('[[[[[1]]]]]'), { maxDepth: 2 })).code).toBe('too-deep');
    expect(errorOf(() => defaultCodec.decode(text('[{"__proto__":{"x":1}}]'))).code).toBe('unsafe-payload');
    expect(errorOf(() => defaultCodec.decode(new Uint8Array([0x5b, 0xff, 0x5d]))).code).toBe('decode');
    expect(errorOf(() => defaultCodec.decode(text('{"a":1}'))).code).toBe('decode');
  });
});
