import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCheckpointError, taggedJsonCodec, type DecodeLimits } from 'xstate-checkpoint';
import { difference, prototypeChanges, snapshotPrototypes } from './isomorphic.js';

const codec = taggedJsonCodec;
const utf8 = new TextEncoder();
const RUNS = 300;

// ---------------------------------------------------------------- rich values

const tricky = fc.constantFrom(
  '~',
  '~~',
  '~u',
  '~@0',
  '~@1',
  '~M',
  '~S',
  '~E',
  '~d1',
  '~nNaN',
  '~tUint8Array:AA==',
  'a~',
);
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ maxLength: 6 }).map((s) => `~${s}`),
  tricky,
  fc.constantFrom('\ud800', 'x\udfff', '\u2028', '"\\', '\u0000'),
);
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  tricky,
  fc.constantFrom('__proto__', '~__proto__', 'constructor', 'prototype', 'toString', '0', '7', 'length'),
);
const bigints = fc.oneof(fc.bigInt(), fc.bigInt({ min: -(2n ** 4000n), max: 2n ** 4000n }));
const binary = fc.oneof(
  fc.uint8Array({ maxLength: 12 }),
  fc.int16Array({ maxLength: 6 }),
  fc.float64Array({ maxLength: 4 }),
  fc.bigInt64Array({ maxLength: 3 }),
  fc.uint8Array({ maxLength: 12 }).map((a) => a.buffer),
  fc.uint8Array({ minLength: 4, maxLength: 12 }).map((a) => new Uint16Array(a.buffer, 2, 1)),
  fc.uint8Array({ maxLength: 8 }).map((a) => new DataView(a.buffer)),
);
const regexps = fc
  .constantFrom('a', 'x\\/y', '(?:)', '[~"]', '\\d+$')
  .chain((source) => fc.constantFrom('', 'g', 'imsu', 'y', 'dg').map((flags) => new RegExp(source, flags)));
const leaf = fc.oneof(
  text,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  bigints,
  fc.date({ noInvalidDate: false }),
  regexps,
  binary,
);
const errorClasses = { Error, TypeError, RangeError, SyntaxError, EvalError, URIError, ReferenceError } as Record<
  string,
  ErrorConstructor
>;
const errorName = fc.constantFrom('Error', 'TypeError', 'RangeError', 'SyntaxError', 'ValidationError', '~x');

const { tree } = fc.letrec<{
  tree: unknown;
  array: unknown[];
  object: Record<string, unknown>;
  map: Map<unknown, unknown>;
  set: Set<unknown>;
  error: Error;
}>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('array'),
    tie('object'),
    tie('map'),
    tie('set'),
    tie('error'),
  ),
  array: fc.array(tie('tree'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
  map: fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 4 }).map((entries) => new Map(entries)),
  set: fc.array(tie('tree'), { maxLength: 4 }).map((items) => new Set(items)),
  error: fc
    .record({
      name: errorName,
      message: text,
      cause: fc.option(tie('tree'), { nil: undefined }),
      props: fc.dictionary(
        key.filter((k) => !['name', 'message', 'stack', 'cause'].includes(k)),
        tie('tree'),
        { maxKeys: 2 },
      ),
    })
    .map(({ name, message, cause, props }) => {
      const Ctor = errorClasses[name] ?? Error;
      const err = cause === undefined ? new Ctor(message) : new Ctor(message, { cause });
      if (!(name in errorClasses)) err.name = name;
      // Defined, not assigned: a "__proto__" prop must become an own property.
      for (const [k, v] of Object.entries(props)) {
        Object.defineProperty(err, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return err;
    }),
}));

const isLinkable = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** Every object reachable from `root` (containers first met first). */
function objectsOf(root: unknown): object[] {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (!isLinkable(v) || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    else if (!ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) {
      if (v instanceof Error) stack.push(v.cause);
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return [...seen];
}

/**
 * Rich values with shared references and cycles: a generated tree, copied
 * (so fast-check's own value is never changed), then extra links from one
 * object to another, which share it or, when it is an ancestor, close a cycle.
 */
const richValue = fc
  .tuple(tree, fc.array(fc.tuple(fc.nat(), fc.nat(), key), { maxLength: 5 }))
  .map(([generated, links]) => {
    const root: unknown = structuredClone({ root: generated }).root;
    const all = objectsOf(root);
    const containers = all.filter(
      (o) =>
        Array.isArray(o) ||
        o instanceof Map ||
        o instanceof Set ||
        o instanceof Error ||
        Object.getPrototypeOf(o) === Object.prototype,
    );
    if (containers.length === 0) return root;
    for (const [from, to, k] of links) {
      const src = containers[from % containers.length]!;
      const target = all[to % all.length]!;
      if (Array.isArray(src)) src.push(target);
      else if (src instanceof Map) {
        if (from % 2) src.set(k, target);
        else src.set(target, k);
      } else if (src instanceof Set) src.add(target);
      else if (src instanceof Error) {
        Object.defineProperty(src, `link ${k}`, {
          value: target,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else Object.defineProperty(src, k, { value: target, enumerable: true, writable: true, configurable: true });
    }
    return root;
  });

describe('codec property: round trip', () => {
  it('decode(encode(v)) equals v, with the same sharing and cycles', () => {
    let withReferences = 0;
    fc.assert(
      fc.property(richValue, (value) => {
        const bytes = codec.encode(value);
        // Flag 3 (7 with escaped keys) at the end of the document: the payload holds references.
        if (bytes[bytes.length - 2] === 0x33 || bytes[bytes.length - 2] === 0x37) withReferences++;
        const back = codec.decode(bytes);
        expect(difference(back, value)).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
    // The generator must really produce shared and cyclic values.
    expect(withReferences).toBeGreaterThan(RUNS / 10);
  });

  it('encoding is deterministic and decoding does not depend on earlier encodes', () => {
    fc.assert(
      fc.property(richValue, (value) => {
        const first = codec.encode(value);
        const second = codec.encode(value);
        expect(Buffer.compare(first, second)).toBe(0);
        expect(difference(codec.decode(second), value)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});

describe('codec property: long values, walked and written in pieces', () => {
  // Over the encoder's PIECE (32 K chars): long arrays are turned into JSON in
  // runs as they are walked, and large children are written between runs.
  const padded = fc.tuple(richValue, fc.nat({ max: 6000 })).map(([v, n]) => ({ pad: 'p'.repeat(n), v }));
  const huge = fc
    .tuple(richValue, fc.integer({ min: 33_000, max: 40_000 }))
    .map(([v, n]) => ({ huge: ['q'.repeat(n), v] }));
  const long = fc
    .tuple(
      fc.array(fc.oneof(richValue, padded, huge), { minLength: 20, maxLength: 50 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { maxLength: 8 }),
    )
    .map(([items, links]) => {
      const root: unknown[] = [...items];
      // References to objects of other items, before or after them: shared across runs and pieces.
      for (const [at, from, pick] of links) {
        const all = objectsOf(items[from % items.length]);
        if (all.length > 0) root.splice(at % (root.length + 1), 0, { far: all[pick % all.length] });
      }
      return root;
    });

  it('decode(encode(v)) equals v, with the same sharing and cycles', () => {
    let pieces = 0;
    fc.assert(
      fc.property(long, (value) => {
        const bytes = codec.encode(value);
        if (bytes.length > 64 * 1024) pieces++;
        expect(difference(codec.decode(bytes), value)).toBeUndefined();
      }),
      { numRuns: 40 },
    );
    // The generator must really produce values over several pieces.
    expect(pieces).toBeGreaterThan(10);
  });

  it('an array of more items than PIECE chars round-trips, with markers and references', () => {
    const shared = { s: 1 };
    const value = Array.from({ length: 40_000 }, (_, i) => (i % 9973 === 0 ? shared : i % 101 === 0 ? -0 : i));
    const back = codec.decode(codec.encode(value)) as unknown[];
    expect(difference(back, value)).toBeUndefined();
    expect(back[9973]).toBe(back[0]);
  });
});

describe('codec property: any own enumerable key round-trips as an own property', () => {
  // Keys a dictionary keyed by user words (or an API response) can have.
  const wordKey = fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '~', '~__proto__', '~~x'),
    fc.string({ maxLength: 4 }),
    fc.string({ maxLength: 4 }).map((k) => `~${k}`),
  );
  /** An object of own properties, defined in order (never assigned, so "__proto__" stays a key). */
  const own = (entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  const { node } = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)),
      fc.array(tie('node'), { maxLength: 4 }),
      fc.array(fc.tuple(wordKey, tie('node')), { maxLength: 5 }).map(own),
      fc.array(fc.tuple(tie('node'), tie('node')), { maxLength: 3 }).map((e) => new Map(e)),
    ),
  }));

  /** Every plain object in `v` has exactly `Object.prototype` as prototype and its keys as own properties. */
  function prototypesIntact(v: unknown, seen = new Set<unknown>()): boolean {
    if (typeof v !== 'object' || v === null || seen.has(v)) return true;
    seen.add(v);
    if (v instanceof Map) return [...v].every(([k, x]) => prototypesIntact(k, seen) && prototypesIntact(x, seen));
    if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) return false;
    return Object.keys(v).every((k) => prototypesIntact((v as Record<string, unknown>)[k], seen));
  }

  it('in objects, Map keys and nested arrays, "__proto__" included; decoding never touches a prototype', () => {
    let protoKeys = 0;
    const before = snapshotPrototypes();
    fc.assert(
      fc.property(node, (value) => {
        const bytes = codec.encode(value);
        const text = new TextDecoder().decode(bytes);
        if (text.includes('"~__proto__":')) protoKeys++;
        // A literal "__proto__" key is never written: a reader of the old format would refuse it.
        expect(text).not.toMatch(/"__proto__":/);
        const back = codec.decode(bytes);
        expect(difference(back, value)).toBeUndefined();
        expect(prototypesIntact(back)).toBe(true);
      }),
      { numRuns: RUNS },
    );
    expect(prototypeChanges(before)).toEqual([]);
    // The generator must really produce "__proto__" keys.
    expect(protoKeys).toBeGreaterThan(RUNS / 10);
  });

  it('a value without a "__proto__" key is written exactly as before (keys unescaped, no flag 4)', () => {
    fc.assert(
      fc.property(node, (value) => {
        const text = new TextDecoder().decode(codec.encode(value));
        if (text.includes('~__proto__')) return;
        const flags = /,(\d)\]$/.exec(text)?.[1];
        expect(flags === undefined || Number(flags) < 4).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------- hostile input

const outcomes = { values: 0, errors: 0 };

/** Decodes and checks the contract: a value or a CheckpointError, and no prototype touched. */
function decodeSafely(bytes: Uint8Array, limits?: DecodeLimits): void {
  const before = snapshotPrototypes();
  let result: unknown;
  try {
    result = codec.decode(bytes, limits);
    outcomes.values++;
  } catch (error) {
    if (!isCheckpointError(error)) throw new Error(`not a CheckpointError: ${String(error)}`, { cause: error });
    outcomes.errors++;
  }
  expect(prototypeChanges(before)).toEqual([]);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(unusualPrototypes(result)).toEqual([]);
}

const standardPrototypes = new Set<unknown>([
  Object.prototype,
  Array.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  ...[Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((c) => c.prototype),
  ...[
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((c) => c.prototype),
]);

/** Objects in a decoded graph whose prototype is not a built-in one. */
function unusualPrototypes(root: unknown): string[] {
  return objectsOf(root)
    .filter((o) => !standardPrototypes.has(Object.getPrototypeOf(o)))
    .map((o) => Object.prototype.toString.call(o));
}

// A random JSON-like document, written as text so it can hold what JS objects
// cannot: "__proto__" keys, escaped keys, markers in odd places.
type Doc = null | boolean | number | string | { arr: Doc[] } | { obj: Array<[string, Doc]> };
const hostileKey = fc.oneof(
  key,
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '\\u005f_proto__',
    '__pr\\u006fto__',
    '\\u005F\\u005Fproto\\u005F\\u005F',
  ),
);
const marker = fc.oneof(
  fc.constantFrom(
    '~u',
    '~nNaN',
    '~n-0',
    '~d',
    '~d12',
    '~b5',
    '~bx1f',
    '~Rg/a',
    '~tUint8Array:AQ==',
    '~M',
    '~S',
    '~E',
    '~~x',
    '~Z',
  ),
  fc.nat({ max: 20 }).map((n) => `~@${n}`),
  fc.string({ maxLength: 6 }).map((s) => `~${s}`),
);
const { doc } = fc.letrec<{ doc: Doc }>((tie) => ({
  doc: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    text,
    marker,
    fc.array(tie('doc'), { maxLength: 5 }).map((arr) => ({ arr })),
    fc
      .tuple(fc.constantFrom('~M', '~S', '~E'), fc.array(tie('doc'), { maxLength: 6 }))
      .map(([head, rest]) => ({ arr: [head, ...rest] })),
    fc.array(fc.tuple(hostileKey, tie('doc')), { maxLength: 4 }).map((obj) => ({ obj })),
  ),
}));
function write(d: Doc): string {
  if (d === null || typeof d !== 'object') return JSON.stringify(d);
  if ('arr' in d) return `[${d.arr.map(write).join(',')}]`;
  // Keys with a backslash are already written escaped.
  return `{${d.obj.map(([k, v]) => `${k.includes('\\u') ? `"${k}"` : JSON.stringify(k)}:${write(v)}`).join(',')}}`;
}
const hostileText = fc
  .tuple(doc, fc.constantFrom('', ',1', ',3', ',0', ',"x"', ',[[["constructor","prototype","polluted"],"D"]]'))
  .map(([d, tail]) => `[${write(d)}${tail}]`);

const snippets = [
  '"__proto__":',
  '{"__proto__":{"polluted":1}}',
  '"\\u005f_proto__"',
  '"constructor":{"prototype":{"polluted":1}}',
  '"~@0"',
  '"~@99"',
  '["~M",',
  '["~E","Error","m",null,{"__proto__":1}]',
  '\\u',
  '\\ud800',
  '[[[[[[[[',
  ']]]]',
  ',3',
  '"',
];

describe('codec property: untrusted bytes yield a value or a CheckpointError and change no prototype', () => {
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodeSafely(bytes)),
      { numRuns: RUNS },
    );
  });

  it('arbitrary JSON-like documents with markers, "__proto__" keys (also escaped) and bad flags', () => {
    outcomes.values = outcomes.errors = 0;
    fc.assert(
      fc.property(hostileText, (t) => decodeSafely(utf8.encode(t))),
      { numRuns: RUNS * 2 },
    );
    // Both outcomes must be common, or the generator tests only one path.
    expect(outcomes.values).toBeGreaterThan(RUNS / 10);
    expect(outcomes.errors).toBeGreaterThan(RUNS / 10);
  });

  it('valid encodings after bit flips, truncation, insertions and hostile snippets', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('bytes' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
      }),
      fc.record({ kind: fc.constant('snippet' as const), at: fc.nat(), snippet: fc.constantFrom(...snippets) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
    );
    outcomes.values = outcomes.errors = 0;
    fc.assert(
      fc.property(richValue, fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, mutations) => {
        let bytes = codec.encode(value);
        for (const m of mutations) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'flip') {
            if (at < bytes.length) bytes[at]! ^= 1 << m.bit;
          } else if (m.kind === 'cut') bytes = bytes.slice(0, at);
          else if (m.kind === 'delete') bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + m.n)]);
          else {
            const insert = m.kind === 'bytes' ? m.bytes : utf8.encode(m.snippet);
            bytes = new Uint8Array([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at)]);
          }
        }
        decodeSafely(bytes);
      }),
      { numRuns: RUNS },
    );
    expect(outcomes.values).toBeGreaterThan(RUNS / 20);
    expect(outcomes.errors).toBeGreaterThan(RUNS / 20);
  });
});

describe('codec: hand-crafted hostile payloads yield a value or a CheckpointError and change no prototype', () => {
  const deep = (n: number, open: string, close: string): string => `[${open.repeat(n)}1${close.repeat(n)}]`;
  const cases: Array<[string, () => Uint8Array, DecodeLimits?]> = [
    ['"__proto__" key', () => utf8.encode('[{"__proto__":{"polluted":1}}]')],
    ['escaped "__proto__" key', () => utf8.encode('[{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}}]')],
    ['nested "__proto__" under markers', () => utf8.encode('[["~S",{"a":["~M","k",{"__proto__":{"polluted":1}}]}],1]')],
    [
      'old-style tag path through constructor.prototype',
      () => utf8.encode('[{"a":1},[[["constructor","prototype","polluted"],"D"]]]'),
    ],
    ['old-style tag path through "__proto__"', () => utf8.encode('[{},[[["__proto__","polluted"],"u"]]]')],
    ['reference to an object that does not exist yet', () => utf8.encode('[{"a":"~@1","b":{}},3]')],
    ['references everywhere', () => utf8.encode('[["~M","~@0","~@0",{"k":"~@2"},"~@2"],3]')],
    [
      'error named after a prototype member',
      () => utf8.encode('[["~E","constructor","m",null,{"prototype":{"polluted":1}}],1]'),
    ],
    ['binary typed as a prototype member', () => utf8.encode('["~ttoString:AAAA",1]')],
    ['deep arrays (1e5)', () => utf8.encode(deep(100_000, '[', ']'))],
    ['deep objects (1e5)', () => utf8.encode(deep(100_000, '{"a":', '}').replace('1}', '1}'))],
    [
      'deep markers (1e4) with a raised limit',
      () => utf8.encode(`[${'["~S",'.repeat(10_000)}1${']'.repeat(10_000)},1]`),
      { maxDepth: 100_000 },
    ],
    ['huge size over the limit', () => utf8.encode(`["${'x'.repeat(2_000_000)}"]`), { maxBytes: 1_000_000 }],
    [
      'many references (2e5)',
      () => utf8.encode(`[[{},${Array.from({ length: 200_000 }, () => '"~@1"').join(',')}],3]`),
    ],
    ['invalid UTF-8: lone continuation byte', () => new Uint8Array([0x5b, 0x22, 0x80, 0x22, 0x5d])],
    ['invalid UTF-8: overlong encoding', () => new Uint8Array([0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d])],
    ['invalid UTF-8: encoded surrogate', () => new Uint8Array([0x5b, 0x22, 0xed, 0xb0, 0x80, 0x22, 0x5d])],
    ['invalid UTF-8: truncated sequence', () => new Uint8Array([0x5b, 0x22, 0xe2, 0x82, 0x22, 0x5d])],
    ['lone surrogates in keys and values (escaped)', () => utf8.encode('[{"\\ud800":"\\udfff","~":"~\\ud800"},1]')],
    ['byte order mark in front', () => new Uint8Array([0xef, 0xbb, 0xbf, ...utf8.encode('[1]')])],
    ['empty input', () => new Uint8Array(0)],
  ];
  for (const [name, make, limits] of cases) {
    it(name, () => decodeSafely(make(), limits));
  }
});
