import { runInNewContext } from 'node:vm';
import superjson from 'superjson';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS, isCheckpointError, superjsonCodec, taggedJsonCodec } from 'xstate-checkpoint';
import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { difference, prototypeChanges, snapshotPrototypes } from './isomorphic.js';
import { errorOf } from '../helpers/errors.js';

const codec = taggedJsonCodec;
const utf8 = new TextDecoder();
const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);
/** The payload text `value` encodes to. */
const textOf = (value: unknown): string => utf8.decode(codec.encode(value));
const roundTrip = <T>(value: T): T => codec.decode(codec.encode(value)) as T;
const decodeText = (text: string): unknown => codec.decode(bytesOf(text));

function expectSame(actual: unknown, expected: unknown): void {
  expect(difference(actual, expected)).toBeUndefined();
}

describe('taggedJsonCodec: supported values survive a round trip', () => {
  it('keeps plain JSON data byte-identical to JSON.stringify inside the document array', () => {
    const value = { a: 1, b: 'x', c: [true, null, { d: 2.5 }], e: '', 'key with "quotes"': 'é ✓ 😀' };
    expect(textOf(value)).toBe(JSON.stringify([value]));
    expectSame(roundTrip(value), value);
  });

  it('Date, including an invalid one and dates before 1970', () => {
    const value = { now: new Date(1_700_000_000_123), old: new Date(-5_000_000_000_000), bad: new Date(NaN) };
    const back = roundTrip(value);
    expect(back.now).toBeInstanceOf(Date);
    expect(back.bad).toBeInstanceOf(Date);
    expect(Number.isNaN(back.bad.getTime())).toBe(true);
    expectSame(back, value);
  });

  it('Map with primitive and object keys, in insertion order', () => {
    const key = { id: 1 };
    const value = new Map<unknown, unknown>([
      ['b', 1],
      [key, 'object key'],
      [3, new Map([['nested', new Set([1])]])],
      [undefined, null],
    ]);
    const back = roundTrip(value);
    expect(back).toBeInstanceOf(Map);
    expect([...back.keys()][1]).toEqual({ id: 1 });
    expectSame(back, value);
  });

  it('Set, with order kept and object members', () => {
    const value = new Set<unknown>(['z', 1, { a: 1 }, [2], new Date(5)]);
    const back = roundTrip(value);
    expect(back).toBeInstanceOf(Set);
    expectSame(back, value);
  });

  it('BigInt: small, negative, and huge (written as hex)', () => {
    const huge = 2n ** 5000n + 12345n;
    const value = { a: 0n, b: -42n, c: 2n ** 64n, huge, negHuge: -huge };
    expect(textOf({ huge })).toContain('"~bx');
    expectSame(roundTrip(value), value);
  });

  it('RegExp with flags and slashes in the source', () => {
    const value = [/a\/b[/]c/gimsuy, /(?:)/, new RegExp('x', 'd')];
    const back = roundTrip(value);
    back.forEach((r, i) => {
      expect(r).toBeInstanceOf(RegExp);
      expect(r.source).toBe(value[i]!.source);
      expect(r.flags).toBe(value[i]!.flags);
    });
  });

  it('Error: built-in subclasses, custom names, message, stack, cause and own props', () => {
    class ValidationError extends Error {
      override name = 'ValidationError';
      field = 'email';
    }
    const cause = new RangeError('inner');
    const err = Object.assign(new TypeError('outer', { cause }), { code: 'E_OUTER', info: { at: new Date(1) } });
    const value = { err, custom: new ValidationError('bad email'), noCause: new Error('x') };
    const back = roundTrip(value);
    expect(back.err).toBeInstanceOf(TypeError);
    expect(back.err.cause).toBeInstanceOf(RangeError);
    expect(back.custom).toBeInstanceOf(Error);
    expect(back.custom.name).toBe('ValidationError');
    expect(back.custom.field).toBe('email');
    expect('cause' in back.noCause).toBe(false);
    // Own props stay enumerable, the standard ones do not.
    expect(Object.keys(back.err)).toEqual(['code', 'info']);
    expectSame(back, value);
  });

  it('drops function-valued props of an Error, like JSON', () => {
    const err = Object.assign(new Error('x'), { fn: () => 1, sym: Symbol('s'), keep: undefined });
    const back = roundTrip(err);
    expect(Object.keys(back)).toEqual(['keep']);
  });

  it('undefined in objects (key kept) and arrays', () => {
    const value = { a: undefined, b: [undefined, 1, undefined], c: { d: undefined } };
    const back = roundTrip(value);
    expect(Object.keys(back)).toEqual(['a', 'b', 'c']);
    expect('d' in back.c).toBe(true);
    expectSame(back, value);
    expect(roundTrip(undefined)).toBeUndefined();
  });

  it('NaN, ±Infinity and -0', () => {
    const value = [NaN, Infinity, -Infinity, -0, 0, 1e308, -1e-308, Number.MIN_VALUE];
    const back = roundTrip(value);
    expect(Object.is(back[3], -0)).toBe(true);
    expect(Object.is(back[4], 0)).toBe(true);
    expectSame(back, value);
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
  });

  it('typed arrays, DataView and ArrayBuffer, including views on part of a buffer', () => {
    const buffer = new ArrayBuffer(16);
    new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const value = {
      i8: new Int8Array([-1, 2]),
      u8: new Uint8Array([255]),
      c8: new Uint8ClampedArray([3]),
      i16: new Int16Array([-300]),
      u16: new Uint16Array([65535]),
      i32: new Int32Array([-1]),
      u32: new Uint32Array([2 ** 32 - 1]),
      f32: new Float32Array([1.5]),
      f64: new Float64Array([Math.PI, NaN]),
      b64: new BigInt64Array([-(2n ** 63n)]),
      ub64: new BigUint64Array([2n ** 64n - 1n]),
      view: new Uint16Array(buffer, 4, 2),
      dv: new DataView(buffer, 2, 3),
      buffer,
      empty: new Uint8Array(0),
    };
    const back = roundTrip(value);
    expect(back.view).toBeInstanceOf(Uint16Array);
    expect(back.view.length).toBe(2);
    expect(back.dv).toBeInstanceOf(DataView);
    expect(back.buffer).toBeInstanceOf(ArrayBuffer);
    expect(back.b64[0]).toBe(-(2n ** 63n));
    expectSame(back, value);
  });

  it("Node's Buffer comes back as a Uint8Array with the same bytes", () => {
    const back = roundTrip({ b: Buffer.from('héllo') });
    expect(back.b).toBeInstanceOf(Uint8Array);
    expect(utf8.decode(back.b)).toBe('héllo');
  });

  it('shared references stay shared', () => {
    const shared = { n: 1 };
    const list = [shared];
    const date = new Date(3);
    const value = { a: shared, b: shared, c: [shared, list, list], d: new Map([['k', shared]]), e: [date, date] };
    const back = roundTrip(value);
    expect(back.a).toBe(back.b);
    expect(back.c[0]).toBe(back.a);
    expect(back.c[1]).toBe(back.c[2]);
    expect(back.d.get('k')).toBe(back.a);
    expect(back.e[0]).toBe(back.e[1]);
    expectSame(back, value);
  });

  it('cycles, also through Map keys and values, Set members and Error causes and props', () => {
    const obj: Record<string, unknown> = { name: 'root' };
    obj['self'] = obj;
    const arr: unknown[] = [1];
    arr.push(arr);
    const map = new Map<unknown, unknown>();
    map.set(map, 'map as its own key');
    map.set('value', map);
    const set = new Set<unknown>();
    set.add(set);
    const err = new Error('loop') as Error & { cause?: unknown; ctx?: unknown };
    err.cause = { back: err };
    err.ctx = err;
    const value = { obj, arr, map, set, err };
    const back = roundTrip(value);
    expect(back.obj['self']).toBe(back.obj);
    expect(back.arr[1]).toBe(back.arr);
    expect([...back.map.keys()][0]).toBe(back.map);
    expect(back.map.get('value')).toBe(back.map);
    expect([...back.set][0]).toBe(back.set);
    expect((back.err.cause as { back: unknown }).back).toBe(back.err);
    expect(back.err.ctx).toBe(back.err);
    expectSame(back, value);
  });

  it('calls toJSON like JSON.stringify does (plain objects and class instances), once per occurrence', () => {
    let calls = 0;
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        calls++;
        return { cents: this.cents, currency: 'EUR' };
      }
    }
    const price = new Money(250);
    const value = { price, again: price, plain: { toJSON: () => 'plain form' }, date: new Date(0) };
    const back = roundTrip(value);
    expect(back).toEqual({
      price: { cents: 250, currency: 'EUR' },
      again: { cents: 250, currency: 'EUR' },
      plain: 'plain form',
      date: new Date(0),
    });
    expect(calls).toBe(2);
  });

  it('keeps class instances as their own enumerable data, like JSON', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      get length() {
        return Math.hypot(this.x, this.y);
      }
    }
    const back = roundTrip({ p: new Point(3, 4) });
    expect(Object.getPrototypeOf(back.p)).toBe(Object.prototype);
    expect(back.p).toEqual({ x: 3, y: 4 });
    const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
    expect(roundTrip(nullProto)).toEqual({ a: 1 });
  });

  // Guards the walk's own-keys shortcut: it skips the own-key check only while
  // Object.prototype has no enumerable key, and checks that on every encode.
  it('writes own keys only, also after a library adds an enumerable key to Object.prototype', () => {
    class Base {}
    (Base.prototype as unknown as Record<string, unknown>)['inherited'] = 'class';
    const value = { a: 1, nested: { b: [2] }, p: Object.assign(new Base(), { c: 3 }) };
    const before = textOf(value);
    expect(before).toBe('[{"a":1,"nested":{"b":[2]},"p":{"c":3}}]');
    const proto = Object.prototype as unknown as Record<string, unknown>;
    // Values that the walk would rewrite or number if it took the key for its own.
    proto['polluted'] = new Date(0);
    proto['~tilde'] = '~x';
    try {
      expect(textOf(value)).toBe(before);
      expect(textOf(Object.assign(Object.create(null) as object, { a: 1 }))).toBe('[{"a":1}]');
    } finally {
      delete proto['polluted'];
      delete proto['~tilde'];
    }
    expect(textOf(value)).toBe(before);
  });

  it('unwraps boxed primitives, like JSON', () => {
    const value = { s: new String('~x'), n: new Number(-0), b: new Boolean(false), big: Object(7n) as unknown };
    expect(roundTrip(value)).toEqual({ s: '~x', n: -0, b: false, big: 7n });
  });

  it('drops functions and symbols like JSON (null inside arrays); symbol keys are ignored', () => {
    const value = { f: () => 1, s: Symbol('x'), [Symbol('k')]: 1, keep: 1, arr: [() => 1, Symbol('y'), 2] };
    const back = roundTrip(value);
    expect(back).toEqual({ keep: 1, arr: [null, null, 2] });
    expect(Object.keys(back)).toEqual(['keep', 'arr']);
    expect(JSON.parse(JSON.stringify(value))).toEqual(back);
    expect(roundTrip(() => 1)).toBeNull();
  });

  it('Map and Set members that are functions become null (their position is kept)', () => {
    const back = roundTrip({ m: new Map<unknown, unknown>([['f', () => 1]]), s: new Set([Symbol('x')]) });
    expect(back.m.get('f')).toBeNull();
    expect([...back.s]).toEqual([null]);
  });

  it('escapes strings that start with "~", wherever they are', () => {
    const tricky = ['~', '~~', '~u', '~@0', '~M', '~d0', '~nNaN', '~E', '~~~x', '~t', 'a~'];
    const value = {
      list: tricky,
      map: new Map(tricky.map((s) => [s, s])),
      set: new Set(tricky),
      err: Object.assign(new Error('~u'), { name: '~@0' }),
      first: ['~M', 1, 2],
    };
    const back = roundTrip(value);
    expectSame(back, value);
    expect(back.first).toEqual(['~M', 1, 2]);
    expect(textOf('~u')).toBe('["~~u",1]');
  });

  it('round-trips top-level primitives', () => {
    for (const v of [null, true, false, 0, 1.5, 'text', '', '~', 10n, NaN])
      expect(Object.is(roundTrip(v), v)).toBe(true);
  });

  it('round-trips values from another realm (vm context)', () => {
    const foreign = runInNewContext(
      '({ d: new Date(7), m: new Map([[1, 2]]), s: new Set(["a"]), r: /x/g, e: new TypeError("y"), b: new Uint8Array([9]).buffer })',
    ) as Record<string, unknown>;
    const back = roundTrip(foreign);
    expect(back['d']).toEqual(new Date(7));
    expect(back['m']).toEqual(new Map([[1, 2]]));
    expect(back['s']).toEqual(new Set(['a']));
    expect(String(back['r'])).toBe('/x/g');
    expect((back['e'] as Error).name).toBe('TypeError');
    expect([...new Uint8Array(back['b'] as ArrayBuffer)]).toEqual([9]);
  });

  it('round-trips non-ASCII text, lone surrogates and large payloads assembled in pieces', () => {
    const lines = Array.from({ length: 6000 }, (_, i) => ({
      id: i,
      name: i % 7 === 0 ? `ünïcödé ${i} 😀` : `line ${i}`,
      at: new Date(i),
      tags: new Set(['a', `t${i % 5}`]),
      lone: i === 5 ? '\ud800' : 'ok',
    }));
    const value = { lines, index: Object.fromEntries(lines.map((l) => [`k${l.id}`, l])), huge: 'x'.repeat(300_000) };
    const bytes = codec.encode(value);
    expect(bytes.length).toBeGreaterThan(500_000);
    expectSame(codec.decode(bytes), value);
    expect((codec.decode(bytes) as typeof value).lines[5]!.lone).toBe('\ud800');
  });

  it('round-trips large nested arrays and objects written in pieces, with references across them', () => {
    const shared = { s: new Date(1) };
    const nested = Array.from({ length: 4 }, (_, j) =>
      Array.from({ length: 4000 }, (_, i) => (i % 997 === 0 ? shared : { i, j, t: `~${i}`, u: undefined })),
    );
    const fewHuge = [{ blob: 'y'.repeat(150_000) }, ['z'.repeat(150_000), shared], new Set(['w'.repeat(150_000)])];
    const byId = Object.fromEntries(
      Array.from({ length: 8000 }, (_, i) => [`id${i}`, i % 1000 === 0 ? nested[0] : [i]]),
    );
    const value = { nested, fewHuge, byId, cycle: [] as unknown[] };
    value.cycle.push(value, nested);
    expectSame(roundTrip(value), value);
    // Plain data (no "~" strings, no sharing) comes out exactly as JSON.stringify writes it.
    const plain = JSON.parse(
      JSON.stringify({ nested, fewHuge: fewHuge.slice(0, 2), byId }).replaceAll('~', '-'),
    ) as unknown;
    expect(textOf(plain)).toBe(JSON.stringify([plain]));
  });

  it('writes large plain data exactly as JSON.stringify does', () => {
    const data = {
      rows: Array.from({ length: 20_000 }, (_, i) => ({ i, s: `row-${i}`, f: i / 3, n: null, t: [i, 'x'] })),
      byId: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [String(i), { v: i, skip: undefined }])),
    };
    // `skip: undefined` is kept by the codec, so compare a JSON-only variant.
    const plain = JSON.parse(JSON.stringify(data)) as unknown;
    expect(textOf(plain)).toBe(JSON.stringify([plain]));
  });
});

describe('taggedJsonCodec: same semantics as superjson where both support a type', () => {
  const shared = { s: 1 };
  const cyclic: Record<string, unknown> = { n: 1 };
  cyclic['self'] = cyclic;
  const mapCycle = new Map<unknown, unknown>();
  mapCycle.set('me', mapCycle);
  const cases: Record<string, unknown> = {
    date: { d: new Date(1_234_567) },
    map: new Map<unknown, unknown>([
      [{ k: 1 }, 'v'],
      ['a', new Map([[1, 2]])],
    ]),
    set: new Set([1, 'a', { b: 2 }]),
    bigint: { a: 12n, b: -(2n ** 80n) },
    regexp: { r: /a.b/gu },
    undefined: { u: undefined, list: [undefined] },
    numbers: [NaN, Infinity, -Infinity, -0],
    typedArrays: { u8: new Uint8Array([1, 2]), f64: new Float64Array([1.5]), i16: new Int16Array([-2]) },
    shared: { a: shared, b: [shared] },
    cycle: cyclic,
    mapCycle,
    classInstance: new (class {
      x = 1;
    })(),
    nested: { deep: [{ at: new Date(0), tags: new Set(['x']), meta: new Map([['m', [1n]]]) }] },
  };
  for (const [name, value] of Object.entries(cases)) {
    it(name, () => {
      const ours = roundTrip(value);
      const theirs = superjson.parse(superjson.stringify(value as never));
      expect(difference(ours, theirs)).toBeUndefined();
      expect(difference(ours, value)).toBeUndefined();
    });
  }

  it('Error: both keep name, message and cause; the codec also keeps the class, stack and own props', () => {
    const value = Object.assign(new TypeError('boom', { cause: 'c' }), { code: 'E1' });
    const ours = roundTrip(value);
    const theirs = superjson.parse<Error>(superjson.stringify(value));
    expect([ours.name, ours.message, ours.cause]).toEqual([theirs.name, theirs.message, theirs.cause]);
    expect(ours).toBeInstanceOf(TypeError);
    expect(ours.stack).toBe(value.stack);
    expect(ours.code).toBe('E1');
    expect(theirs.stack).toBeUndefined();
  });

  it('invalid Date: superjson gives null, the codec keeps an invalid Date', () => {
    expect(superjson.parse(superjson.stringify({ d: new Date(NaN) }))).toEqual({ d: null });
    expect(Number.isNaN(roundTrip({ d: new Date(NaN) }).d.getTime())).toBe(true);
  });
});

describe('taggedJsonCodec: format', () => {
  it('writes [root] for plain data and [root, flags] with "~" markers otherwise', () => {
    expect(textOf({ a: [1, 'b'] })).toBe('[{"a":[1,"b"]}]');
    expect(textOf({ d: new Date(5) })).toBe('[{"d":"~d5"},1]');
    expect(textOf([undefined, NaN, -0, Infinity, -Infinity, 5n])).toBe(
      '[["~u","~nNaN","~n-0","~nInfinity","~n-Infinity","~b5"],1]',
    );
    expect(textOf(new Map([['k', new Set([1])]]))).toBe('[["~M","k",["~S",1]],1]');
    expect(textOf(/a\/b/g)).toBe('["~Rg/a\\\\/b",1]');
    expect(textOf(new Uint8Array([1, 2, 3]))).toBe('["~tUint8Array:AQID",1]');
    const shared = { x: 1 };
    expect(textOf({ a: shared, b: shared })).toBe('[{"a":{"x":1},"b":"~@1"},3]');
  });

  it('numbers objects in walk order, Map keys before values, Error props before cause', () => {
    const k = { k: 1 };
    const v = { v: 1 };
    const err = Object.assign(new Error('m', { cause: k }), { p: v });
    err.stack = 's';
    expect(textOf([new Map([[k, v]]), k, v])).toBe('[[["~M",{"k":1},{"v":1}],"~@2","~@3"],3]');
    expect(textOf([err, v, k])).toBe('[[["~E","Error","m","s",{"p":{"v":1}},{"k":1}],"~@2","~@3"],3]');
    // A cause assigned later is an enumerable own prop and travels with the props.
    const late = new Error('m');
    late.stack = 's';
    (late as Error & { cause?: unknown }).cause = 1;
    expect(textOf(late)).toBe('[["~E","Error","m","s",{"cause":1}],1]');
  });

  it('has id xsc1', () => {
    expect(codec.id).toBe('xsc1');
  });
});

describe('taggedJsonCodec: keys that look hostile but are data', () => {
  it('an own "__proto__" key (JSON.parse output) round-trips as an own property, escaped as "~__proto__"', () => {
    const value = JSON.parse('{"a":{"__proto__":{"x":1},"~b":2,"c":3},"d":[{"__proto__":null}]}') as unknown;
    const text = textOf(value);
    // Flag 4: keys are escaped; the other "~" key gets one more "~" (and flag 1 comes with it).
    expect(text).toBe('[{"a":{"~__proto__":{"x":1},"~~b":2,"c":3},"d":[{"~__proto__":null}]},5]');
    const back = codec.decode(codec.encode(value)) as { a: Record<string, unknown>; d: Array<Record<string, unknown>> };
    expect(Object.keys(back.a)).toEqual(['__proto__', '~b', 'c']);
    expect(Object.getPrototypeOf(back.a)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back.a, '__proto__')?.value).toEqual({ x: 1 });
    expect(Object.hasOwn(back.d[0]!, '__proto__')).toBe(true);
    expect(({} as { x?: unknown }).x).toBeUndefined();
  });

  it('"__proto__" in Map keys, Error props and with references', () => {
    const key = JSON.parse('{"__proto__":1}') as object;
    const err = new Error('m');
    Object.defineProperty(err, '__proto__', { value: 'p', enumerable: true, writable: true, configurable: true });
    const value = { m: new Map([[key, key]]), err };
    const back = codec.decode(codec.encode(value)) as { m: Map<object, object>; err: Error };
    const [k, v] = [...back.m][0] ?? [];
    expect(k).toBe(v);
    expect(Object.hasOwn(k ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(back.err)).toBe(Error.prototype);
    expect(Object.getOwnPropertyDescriptor(back.err, '__proto__')?.value).toBe('p');
  });

  it('"constructor", "prototype" and "toString" keys need no escape', () => {
    const value = JSON.parse('{"constructor":1,"prototype":{"toString":2}}') as unknown;
    expect(textOf(value)).toBe('[{"constructor":1,"prototype":{"toString":2}}]');
    expect(codec.decode(codec.encode(value))).toEqual(value);
  });

  it('a document with escaped keys refuses an unknown key escape and a literal "__proto__"', () => {
    expect(errorOf(() => decodeText('[{"~x":1},5]')).code).toBe('decode');
    expect(errorOf(() => decodeText('[{"__proto__":1},5]')).code).toBe('unsafe-payload');
    expect(errorOf(() => decodeText('[{"a":1},4]')).code).toBe('decode');
  });

  // Written by the codec before escaped keys existed (commit a7d9540): keys starting
  // with "~" are literal there, and must stay so.
  const before =
    'WFNDSwEAAIDvCF6YeyJmb3JtYXQiOjEsIm1hY2hpbmUiOiJmeCIsInZlcnNpb24iOjEsInNlcSI6MywiZXBvY2giOjAsImNyZWF0ZWRBdCI6MTcwMDAwMDAwMDAwMCwiY29kZWMiOiJ4c2MxIiwibGVuZ3RoIjoyNTgsImNyYyI6MjYwNDgwNzQyNX1beyJzbmFwc2hvdCI6eyJzdGF0dXMiOiJhY3RpdmUiLCJ2YWx1ZSI6eyJhIjoiYiJ9LCJoaXN0b3J5VmFsdWUiOnt9LCJjb250ZXh0Ijp7In5rZXkiOiJ+fnZhbHVlIiwiY29uc3RydWN0b3IiOiJjIiwicHJvdG90eXBlIjpbInAiXSwidG9TdHJpbmciOjIsIm0iOlsifk0iLCJfX3Byb3RvX18iLHsicyI6MX0sIn5ANyIsIn5+Il0sImQiOiJ+ZDUiLCJuIjoifmIxMCIsInUiOiJ+dSIsIngiOiJ+QDcifSwiY2hpbGRyZW4iOnt9fSwidGltZXJzIjpbXX0sM10=';
  it('a checkpoint written by the earlier format reads the same, and is written the same again', () => {
    const bytes = Uint8Array.from(Buffer.from(before, 'base64'));
    const { header, payload } = openEnvelope(bytes);
    expect(header.seq).toBe(3);
    const value = codec.decode(payload) as { snapshot: { context: Record<string, unknown> } };
    const context = value.snapshot.context;
    const shared = { s: 1 };
    expect(context).toEqual({
      '~key': '~value',
      constructor: 'c',
      prototype: ['p'],
      toString: 2,
      m: new Map<unknown, unknown>([
        ['__proto__', shared],
        [shared, '~'],
      ]),
      d: new Date(5),
      n: 10n,
      u: undefined,
      x: shared,
    });
    expect(context['x']).toBe([...(context['m'] as Map<unknown, unknown>).values()][0]);
    expect(Buffer.from(codec.encode(value)).equals(Buffer.from(payload))).toBe(true);
  });
});

describe('taggedJsonCodec: encode refuses what restore would refuse', () => {
  it('nesting deeper than maxDepth, with the path; exactly maxDepth encodes and decodes', () => {
    const nest = (n: number): unknown => {
      let v: unknown = { leaf: 1 };
      for (let i = 0; i < n; i++) v = i % 2 ? { k: v } : [v];
      return v;
    };
    const atLimit = nest(DEFAULT_LIMITS.maxDepth);
    expect(difference(roundTrip(atLimit), atLimit)).toBeUndefined();
    const error = errorOf(() => codec.encode(nest(DEFAULT_LIMITS.maxDepth + 1)));
    expect(error.code).toBe('too-deep');
    expect(error.path?.length).toBe(DEFAULT_LIMITS.maxDepth + 1);
    // An error's props sit one level deeper in the text; at the limit it still decodes.
    const withError = [Object.assign(new Error('e'), { deep: nest(DEFAULT_LIMITS.maxDepth - 3) })];
    expect(difference(roundTrip(withError), withError)).toBeUndefined();
    expect(errorOf(() => codec.encode([[withError]])).code).toBe('too-deep');
  });

  it('honours the limits restore decodes with: a raised maxDepth saves deeper data, a lowered one refuses it', () => {
    // n levels, then an object holding a Date: the Date is at depth n + 1.
    const nest = (n: number): unknown => {
      let v: unknown = { at: new Date(0) };
      for (let i = 0; i < n; i++) v = i % 2 ? { k: v } : [v];
      return v;
    };
    const deep = nest(DEFAULT_LIMITS.maxDepth + 200);
    expect(errorOf(() => codec.encode(deep)).code).toBe('too-deep');
    const raised = { maxDepth: DEFAULT_LIMITS.maxDepth + 201 };
    const bytes = codec.encode(deep, raised);
    // Compared through its bytes and its leaf: the recursive `difference` would overflow the stack here.
    const back = codec.decode(bytes, raised);
    expect(codec.encode(back, raised)).toEqual(bytes);
    let leaf = back as Record<string | number, unknown>;
    for (let i = 0; i < DEFAULT_LIMITS.maxDepth + 200; i++) leaf = leaf[i % 2 ? 0 : 'k'] as typeof leaf;
    expect(leaf['at']).toEqual(new Date(0));
    const lowered = errorOf(() => codec.encode(nest(10), { maxDepth: 10 }));
    expect(lowered.code).toBe('too-deep');
    expect(lowered.path?.length).toBe(11);
    expect(codec.encode(nest(9), { maxDepth: 10 })).toEqual(codec.encode(nest(9)));
  });

  it('a throwing getter becomes an encode error with the cause kept', () => {
    const value = {
      get bad(): never {
        throw new Error('getter failed');
      },
    };
    const error = errorOf(() => codec.encode(value));
    expect(error.code).toBe('encode');
    expect((error.cause as Error).message).toBe('getter failed');
  });

  it('never modifies the value being encoded', () => {
    const value = { d: new Date(1), list: [undefined, 1n], m: new Map([['k', 1]]), s: '~x' };
    const frozen = Object.freeze({ ...value, list: Object.freeze([...value.list]) });
    codec.encode(frozen);
    expect(frozen).toEqual(value);
    expect(frozen.list).toEqual([undefined, 1n]);
  });

  it('an encode nested inside toJSON does not confuse the outer one', () => {
    const shared = { s: 1 };
    const value = {
      a: shared,
      inner: {
        toJSON: () => utf8.decode(codec.encode({ a: shared, b: shared })),
      },
      b: shared,
    };
    const back = roundTrip(value);
    expect(back.a).toBe(back.b);
    expect(codec.decode(bytesOf(back.inner as unknown as string))).toEqual({ a: { s: 1 }, b: { s: 1 } });
  });
});

describe('taggedJsonCodec: decode limits and bad input', () => {
  it('refuses payloads over maxBytes before decoding them', () => {
    const error = errorOf(() => codec.decode(codec.encode({ big: 'x'.repeat(100) }), { maxBytes: 50 }));
    expect(error.code).toBe('too-large');
  });

  it('refuses nesting deeper than maxDepth before parsing', () => {
    const deep = `[${'['.repeat(100)}${']'.repeat(100)}]`;
    const huge = `[${'['.repeat(200_000)}${']'.repeat(200_000)}]`;
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(errorOf(() => codec.decode(bytesOf(deep), { maxDepth: 50 })).code).toBe('too-deep');
      expect(errorOf(() => codec.decode(bytesOf(huge))).code).toBe('too-deep');
      // Neither reached the JSON parser: the nesting was found by scanning the bytes.
      expect(parse).not.toHaveBeenCalled();
      // The spy does see the parser when a payload gets that far.
      expect(codec.decode(bytesOf('[1]'))).toBe(1);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
    let nested: unknown[] = [];
    for (let i = 1; i < 100; i++) nested = [nested];
    // The payload's root element: 100 arrays, one inside the other.
    expect(codec.decode(bytesOf(deep), { maxDepth: 100 })).toEqual(nested);
    // Brackets inside strings do not count.
    expect(codec.decode(bytesOf(`["${'['.repeat(5000)}\\"${'{'.repeat(5000)}"]`))).toMatch(/^\[+"\{+$/);
  });

  it('refuses more values than maxValues before parsing; commas and brackets inside strings do not count', () => {
    const flood = (n: number) => bytesOf(`[[${Array.from({ length: n }, () => '{}').join(',')}]]`);
    // n objects: n brackets, n - 1 commas, plus the document's and the root array's.
    expect(codec.decode(flood(500), { maxValues: 999 })).toHaveLength(500);
    const error = errorOf(() => codec.decode(flood(501), { maxValues: 999 }));
    expect(error.code).toBe('too-large');
    expect(error.message).toContain('maxValues');
    expect(codec.decode(bytesOf(`["${',[{'.repeat(5000)}"]`), { maxValues: 10 })).toHaveLength(15000);
    const defaultFlood = bytesOf(`[[${'{},'.repeat(DEFAULT_LIMITS.maxValues / 2)}{}]]`);
    expect(errorOf(() => codec.decode(defaultFlood)).code).toBe('too-large');
    expect(errorOf(() => superjsonCodec(superjson).decode(defaultFlood)).code).toBe('too-large');
  });

  it('raising maxDepth a lot still yields a value or a CheckpointError', () => {
    const deep = `[${'["~u",'.repeat(100_000)}1${']'.repeat(100_000)},1]`;
    let result: unknown;
    try {
      result = codec.decode(bytesOf(deep), { maxDepth: 1_000_000 });
    } catch (error) {
      expect(isCheckpointError(error)).toBe(true);
      return;
    }
    expect(Array.isArray(result)).toBe(true);
  });

  it('rejects invalid UTF-8 (fatal decoding), including encoded surrogates', () => {
    expect(errorOf(() => codec.decode(new Uint8Array([0x5b, 0x22, 0xff, 0x22, 0x5d]))).code).toBe('decode');
    expect(errorOf(() => codec.decode(new Uint8Array([0x5b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x5d]))).code).toBe('decode');
  });

  const bad: Array<[string, string]> = [
    ['not JSON', '[{'],
    ['not a document array', '{"a":1}'],
    ['empty document', '[]'],
    ['three elements', '[1,1,1]'],
    ['bad flags', '[1,"x"]'],
    ['unknown flags', '[1,4]'],
    ['old tag-list format', '[{"a":1},[[["a"],"D"]]]'],
    ['unknown marker', '["~Z",1]'],
    ['container marker out of place', '[{"a":"~M"},1]'],
    ['reference without the refs flag', '[["~@0"],1]'],
    ['reference to a later object', '[["~@5",{}],3]'],
    ['reference that is not an integer', '[["~@0.5"],3]'],
    ['map with an odd count', '[["~M","k"],1]'],
    ['error without props', '[["~E","Error","m",null],1]'],
    ['error with a bad message', '[["~E","Error",5,null,{}],1]'],
    ['error with too many parts', '[["~E","Error","m",null,{},1,2],1]'],
    ['bigint not a number', '["~b12a",1]'],
    ['bigint with too many decimal digits', `["~b${'9'.repeat(400)}",1]`],
    ['date not a number', '["~dsoon",1]'],
    ['regexp without a slash', '["~Rg",1]'],
    ['regexp with a bad source', '["~R/(",1]'],
    ['regexp with bad flags', '["~Rzz/a",1]'],
    ['binary without a type', '["~tAAAA",1]'],
    ['binary of an unknown type', '["~tFloat16Array:AAAA",1]'],
    ['binary of a prototype name', '["~tconstructor:AAAA",1]'],
    ['binary with bad base64', '["~tUint8Array:@@@",1]'],
    ['binary of a wrong length', '["~tFloat64Array:AAAA",1]'],
    ['undefined marker with a tail', '["~ux",1]'],
    ['number marker of another value', '["~n5",1]'],
  ];
  for (const [name, text] of bad) {
    it(`rejects ${name} with a decode error`, () => {
      const error = errorOf(() => decodeText(text));
      expect(error.code).toBe('decode');
    });
  }

  it('decodes a huge hex BigInt in linear time and refuses a huge decimal one at once', () => {
    const hex = 'f'.repeat(500_000);
    expect(decodeText(`["~bx${hex}",1]`)).toBe(BigInt(`0x${hex}`));
    const t0 = performance.now();
    expect(errorOf(() => decodeText(`["~b${'9'.repeat(5_000_000)}",1]`)).code).toBe('decode');
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('accepts references to enclosing objects (cycles written by hand)', () => {
    const back = decodeText('[{"me":"~@0","list":["~@1"]},3]') as { me: unknown; list: unknown[] };
    expect(back.me).toBe(back);
    expect(back.list[0]).toBe(back.list);
  });
});

describe('taggedJsonCodec: hostile payloads never touch a prototype', () => {
  const payloads: Array<[string, string, 'unsafe-payload' | 'ok']> = [
    ['"__proto__" key', '[{"__proto__":{"polluted":1}}]', 'unsafe-payload'],
    ['escaped "\\u005f_proto__" key', '[{"\\u005f_proto__":{"polluted":1}}]', 'unsafe-payload'],
    [
      'fully escaped key',
      '[{"\\u005F\\u005F\\u0070\\u0072\\u006F\\u0074\\u006F\\u005F\\u005F":{"polluted":1}}]',
      'unsafe-payload',
    ],
    ['nested "__proto__"', '[{"a":{"b":[{"__proto__":{"polluted":1}}]}},1]', 'unsafe-payload'],
    ['"__proto__" in error props', '[["~E","Error","m",null,{"__proto__":{"polluted":1}}],1]', 'unsafe-payload'],
    ['"__proto__" in a map value', '[["~M","k",{"__proto__":{"polluted":1}}],1]', 'unsafe-payload'],
    ['"constructor.prototype" path', '[{"constructor":{"prototype":{"polluted":1}}}]', 'ok'],
    ['"constructor" in error props', '[["~E","Error","m",null,{"constructor":{"prototype":{"polluted":1}}}],1]', 'ok'],
    ['"__proto__" as a map key', '[["~M","__proto__",{"polluted":1}],1]', 'ok'],
    ['"prototype" and "constructor" keys next to markers', '[{"prototype":"~u","constructor":"~@0"},3]', 'ok'],
    ['"__proto__" as an error name', '[["~E","__proto__","m",null,{}],1]', 'ok'],
    ['binary type "__proto__"', '["~t__proto__:AAAA",1]', 'ok'],
  ];
  for (const [name, text, expected] of payloads) {
    it(`${name}: ${expected === 'ok' ? 'decodes as plain data' : 'is refused'}; no prototype changes`, () => {
      const before = snapshotPrototypes();
      let result: unknown;
      let error: unknown;
      try {
        result = decodeText(text);
      } catch (e) {
        error = e;
      }
      expect(prototypeChanges(before)).toEqual([]);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      if (expected === 'ok') {
        expect(error === undefined || (isCheckpointError(error) && error.code === 'decode')).toBe(true);
        if (Object.prototype.toString.call(result) === '[object Object]') {
          expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
        }
      } else {
        expect(isCheckpointError(error) && error.code).toBe(expected);
      }
    });
  }

  it('a decoded "constructor" key is an own data property, not the prototype chain', () => {
    const back = decodeText('[{"constructor":{"prototype":{"polluted":1}}}]') as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(back, 'constructor')?.value).toEqual({ prototype: { polluted: 1 } });
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});

describe('superjsonCodec', () => {
  const sj = superjsonCodec(superjson);
  const sjText = (text: string): unknown => sj.decode(bytesOf(text));

  it('round-trips rich values with superjson semantics and has id "superjson"', () => {
    const shared = { s: 1 };
    const value = { at: new Date(5), m: new Map([['k', new Set([1n])]]), a: shared, b: shared, u: undefined };
    const back = sj.decode(sj.encode(value)) as typeof value;
    expectSame(back, value);
    expect(back.a).toBe(back.b);
    expect(sj.id).toBe('superjson');
    expect(utf8.decode(sj.encode(value))).toBe(superjson.stringify(value));
  });

  it('works with a superjson instance, not only the default export', () => {
    const instance = new superjson();
    const codec2 = superjsonCodec(instance);
    expect(codec2.decode(codec2.encode({ d: new Date(1) }))).toEqual({ d: new Date(1) });
  });

  const hostile: Array<[string, string, string]> = [
    ['"__proto__" in json', '{"json":{"__proto__":{"polluted":1}}}', 'unsafe-payload'],
    ['escaped "__proto__" in json', '{"json":{"\\u005f_proto__":{"polluted":1}}}', 'unsafe-payload'],
    [
      'meta path through __proto__',
      '{"json":{"a":1},"meta":{"values":{"__proto__.polluted":["undefined"]}}}',
      'unsafe-payload',
    ],
    ['meta path key escaped', '{"json":{"a":1},"meta":{"values":{"\\u005f_proto__":"Date"}}}', 'unsafe-payload'],
    [
      'meta path through constructor.prototype',
      '{"json":{},"meta":{"values":{"constructor.prototype.polluted":"Date"}}}',
      'unsafe-payload',
    ],
    [
      'referential equality into a prototype',
      '{"json":{"a":{}},"meta":{"referentialEqualities":{"a":["constructor.prototype"]}}}',
      'unsafe-payload',
    ],
    [
      'nested meta tree with prototype',
      '{"json":{"a":{}},"meta":{"values":{"a":{"prototype":["Date"]}}}}',
      'unsafe-payload',
    ],
    ['not a superjson document', '[1,2]', 'decode'],
    ['a map annotation on a number', '{"json":{"a":1},"meta":{"values":{"a":["map"]}}}', 'decode'],
    [
      'an unknown annotation (superjson recurses until the stack overflows)',
      '{"json":{"a":1},"meta":{"values":{"a":"Nope"}}}',
      'decode',
    ],
  ];
  for (const [name, text, code] of hostile) {
    it(`refuses ${name} (${code}) and changes no prototype`, () => {
      const before = snapshotPrototypes();
      expect(errorOf(() => sjText(text)).code).toBe(code);
      expect(prototypeChanges(before)).toEqual([]);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });
  }

  it('applies the size and depth caps before parsing', () => {
    const big = sj.encode({ a: 'x'.repeat(100) });
    const over = DEFAULT_LIMITS.maxDepth + 100;
    const deep = `{"json":${'['.repeat(over)}${']'.repeat(over)}}`;
    const parse = vi.spyOn(JSON, 'parse');
    const deserialize = vi.spyOn(superjson, 'deserialize');
    try {
      expect(errorOf(() => sj.decode(big, { maxBytes: 20 })).code).toBe('too-large');
      expect(errorOf(() => sjText(deep)).code).toBe('too-deep');
      expect(parse).not.toHaveBeenCalled();
      expect(deserialize).not.toHaveBeenCalled();
      // The spies do see the parser and superjson when a payload gets that far.
      expect(sj.decode(big)).toEqual({ a: 'x'.repeat(100) });
      expect([parse.mock.calls.length, deserialize.mock.calls.length]).toEqual([1, 1]);
    } finally {
      parse.mockRestore();
      deserialize.mockRestore();
    }
  });

  it('wraps serialization failures as encode errors', () => {
    const value = {
      get bad(): never {
        throw new Error('nope');
      },
    };
    expect(errorOf(() => sj.encode(value)).code).toBe('encode');
  });
});
