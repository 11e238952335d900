import { CheckpointError } from './errors.js';

/** Limits applied before and while decoding untrusted bytes. */
export interface DecodeLimits {
  /** Refuse payloads larger than this many bytes. @default 64 MiB */
  readonly maxBytes?: number;
  /** Refuse payloads nested deeper than this. @default 512 */
  readonly maxDepth?: number;
  /**
   * Refuse payloads of more values than this, counted before parsing (each
   * `,`, `[` and `{` outside strings counts one). Parsed values take many
   * times their bytes (an empty object is 2 bytes of JSON and about 100 bytes
   * of heap while it is decoded); this cap keeps a flood of tiny values from
   * exhausting memory. Saving applies the caps too: a checkpoint over them is
   * not written (`too-large` through `onError`). @default 2,000,000
   */
  readonly maxValues?: number;
}

/**
 * Turns snapshot values into bytes and back. The default is {@link taggedJsonCodec};
 * plug in another (e.g. with `superjson`) through the `codec` option.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec, type Codec } from 'xstate-checkpoint';
 * const codec: Codec = taggedJsonCodec;
 * codec.decode(codec.encode({ n: 1n })); // { n: 1n }
 * ```
 */
export interface Codec {
  /** Stored in every envelope; restore refuses payloads of another codec. */
  readonly id: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array, limits?: DecodeLimits): unknown;
}

/**
 * Default {@link DecodeLimits}: 64 MiB, 512 levels of nesting, 2,000,000 values.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, taggedJsonCodec } from 'xstate-checkpoint';
 * declare const bytes: Uint8Array;
 * taggedJsonCodec.decode(bytes, { ...DEFAULT_LIMITS, maxBytes: 1024 * 1024 });
 * ```
 */
export const DEFAULT_LIMITS: Required<DecodeLimits> = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 512,
  maxValues: 2_000_000,
};

/*
 * Format (`xsc1`): the UTF-8 JSON text of `[root]` when the value is plain JSON
 * data, or `[root, flags]` when it holds markers (bit 1), references (bit 2)
 * and escaped keys (bit 4, always with bit 1).
 * A marker is a string that starts with "~" and stands for a value JSON cannot
 * carry; a string of the data that starts with "~" is written with one more "~".
 * Keys are written as they are, unless the value has an own "__proto__" key:
 * then the document gets bit 4, "__proto__" is written "~__proto__" and every
 * other key that starts with "~" gets one more "~" (a reader of bit 4 removes
 * one "~" from such keys). A literal "__proto__" key is never written.
 *
 *   "~u" undefined          "~nNaN" "~nInfinity" "~n-Infinity" "~n-0"
 *   "~b<decimal>"           "~bx<hex>" / "~b-x<hex>" (BigInt beyond 2^1024)
 *   "~d<ms>" / "~d" Date    "~R<flags>/<source>" RegExp
 *   "~t<Type>:<base64>"     typed array, DataView or ArrayBuffer
 *   "~@<n>"                 the n-th object met in a depth-first walk (shared or cyclic reference)
 *   ["~M", k1, v1, ...]     Map          ["~S", v1, ...] Set
 *   ["~E", name, message, stack | null, { ...own enumerable props }, cause?]  Error
 *                           (cause here when it is not an own enumerable prop,
 *                           e.g. given to the constructor)
 *
 * Objects are numbered in the order a depth-first walk first meets them (keys in
 * property order, array items, Map keys then values, Set items, Error props then
 * cause); the decoder walks in the same order, so references need no paths and
 * every object is revived in place, cycles included.
 */

type Obj = Record<string, unknown>;

const TILDE = 126; // "~"
const FLAG_MARKERS = 1;
const FLAG_REFS = 2;
const FLAG_KEYS = 4;
const UNSAFE_KEY = '__proto__';
const ESCAPED_PROTO = '~__proto__';
// Decimal BigInt parsing is quadratic; past this size the encoder writes hex.
const BIG_DECIMAL = 1n << 1024n;
const MAX_DECIMAL_DIGITS = 320;

const hasOwn = Object.prototype.hasOwnProperty;
const getProto = Object.getPrototypeOf;
const ObjectProto = Object.prototype;
const isArray = Array.isArray;
const textEncoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });

type BinaryCtor = new (buffer: ArrayBuffer) => object;
// Binary types by name, with their element width.
const binaryTypes: Record<string, readonly [BinaryCtor, number]> = {
  Int8Array: [Int8Array, 1],
  Uint8Array: [Uint8Array, 1],
  Uint8ClampedArray: [Uint8ClampedArray, 1],
  Int16Array: [Int16Array, 2],
  Uint16Array: [Uint16Array, 2],
  Int32Array: [Int32Array, 4],
  Uint32Array: [Uint32Array, 4],
  Float32Array: [Float32Array, 4],
  Float64Array: [Float64Array, 8],
  BigInt64Array: [BigInt64Array, 8],
  BigUint64Array: [BigUint64Array, 8],
  DataView: [DataView, 1],
};
const errorTypes: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};
// The intrinsic name of a typed array, also for subclasses such as Node's Buffer.
const typedArrayTag = Object.getOwnPropertyDescriptor(getProto(Int8Array.prototype), Symbol.toStringTag)!.get!;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function numberMarker(n: number): string {
  return n === 0 ? '~n-0' : `~n${String(n)}`;
}

const getTime = Date.prototype.getTime;
const objectTag = Object.prototype.toString;
const brandChecks: Record<string, (obj: object) => unknown> = {
  Date: (obj) => getTime.call(obj as Date),
  Map: (obj) => Map.prototype.has.call(obj, 0),
  Set: (obj) => Set.prototype.has.call(obj, 0),
  RegExp: (obj) => Object.getOwnPropertyDescriptor(RegExp.prototype, 'flags')!.get!.call(obj),
  ArrayBuffer: (obj) => Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!.call(obj),
  Error: () => true,
};

/**
 * The built-in type the codec has a marker for (or undefined): "Date", "Map",
 * "Set", "RegExp", "Error", "ArrayBuffer", "DataView" or a typed array name.
 * Values from another realm (iframe, vm) fail `instanceof`; their tag is used
 * instead, confirmed by a brand check that a look-alike class cannot pass.
 */
function kindOf(obj: object): string | undefined {
  if (obj instanceof Date) return 'Date';
  if (obj instanceof Map) return 'Map';
  if (obj instanceof Set) return 'Set';
  if (obj instanceof RegExp) return 'RegExp';
  if (obj instanceof Error) return 'Error';
  if (ArrayBuffer.isView(obj))
    return obj instanceof DataView ? 'DataView' : ((typedArrayTag.call(obj) as string | undefined) ?? 'DataView');
  if (obj instanceof ArrayBuffer) return 'ArrayBuffer';
  const tag = objectTag.call(obj).slice(8, -1);
  const check = hasOwn.call(brandChecks, tag) ? brandChecks[tag] : undefined;
  if (check === undefined) return undefined;
  try {
    check(obj);
    return tag;
  } catch {
    return undefined;
  }
}

// JSON longer than this is written in pieces: V8 returns a long JSON.stringify
// result as a rope, and turning a rope of megabytes into bytes first copies it
// into one flat string, which costs about as much as the stringify itself.
const PIECE = 32 * 1024;

// Identity of the objects met, for shared and cyclic references. Each object is
// stamped from a global counter; a stamp at or above an encode's base was given
// by that encode. Re-stamping objects already in the WeakMap (the same context
// objects, checkpoint after checkpoint) costs far less than inserting every
// object into a fresh Set or Map.
/**
 * The JSON of a long array, made during the walk: text runs of items (without
 * brackets) and, between them, items written by the writer (a streamed or
 * large child). Every container that holds one is large too (sizes add up), so
 * the writer, never JSON.stringify, meets it.
 */
class Streamed {
  constructor(readonly items: ReadonlyArray<string | object>) {}
  toJSON(): never {
    throw new CheckpointError('encode', { detail: 'internal error: a streamed array reached JSON.stringify' });
  }
}

/** Thrown by a walk that meets a "__proto__" key without escaping keys; never leaves {@link walk}. */
const RESTART = new CheckpointError('encode', { detail: 'internal: the walk restarts with escaped keys' });

/** True when `obj` has an own key that a document with escaped keys writes differently. */
function hasEscapedKey(obj: object): boolean {
  for (const k in obj) {
    if (hasOwn.call(obj, k) && (k === UNSAFE_KEY || k.charCodeAt(0) === TILDE)) return true;
  }
  return false;
}

let sharedStamps = new WeakMap<object, number>();
let nextStamp = 0;
let encoding = false;

class Encoder {
  flags = 0;
  /** Estimated JSON length of what was walked so far. */
  size = 0;
  /** Containers of the output whose JSON is estimated over PIECE chars, with that estimate. */
  big: Map<object, number> | undefined;
  private readonly stamps: WeakMap<object, number>;
  private readonly base: number;
  // The key leading to each open object, only for error messages.
  private readonly keys: Array<string | number> = [];

  /**
   * @param escapeKeys Write "__proto__" keys as "~__proto__" and other keys
   * starting with "~" with one more (format bit 4). Without it, meeting a
   * "__proto__" key throws {@link RESTART}: the walk starts over with it.
   */
  constructor(
    private readonly maxDepth: number,
    private readonly escapeKeys = false,
  ) {
    // A toJSON or getter that encodes again from inside an encode gets its own stamps.
    this.stamps = encoding ? new WeakMap() : sharedStamps;
    this.base = nextStamp;
  }

  private path(depth: number): Array<string | number> {
    return this.keys.slice(1, depth + 1);
  }

  private ref(obj: object): string {
    this.flags |= FLAG_MARKERS | FLAG_REFS;
    this.size += 8;
    return `~@${this.stamps.get(obj)! - this.base}`;
  }

  /** False when this encode met `obj` before. */
  private enter(obj: object): boolean {
    const stamps = this.stamps;
    const stamp = stamps.get(obj);
    if (stamp !== undefined && stamp >= this.base) return false;
    stamps.set(obj, nextStamp++);
    return true;
  }

  private sized(out: object, start: number): void {
    const size = this.size - start;
    if (size > PIECE) (this.big ??= new Map()).set(out, size);
  }

  /** The JSON-safe form of any value other than a plain string, boolean or finite number. */
  other(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        this.flags |= FLAG_MARKERS;
        return `~${value}`;
      case 'number':
        this.flags |= FLAG_MARKERS;
        return numberMarker(value);
      case 'undefined':
        this.flags |= FLAG_MARKERS;
        return '~u';
      case 'bigint': {
        this.flags |= FLAG_MARKERS;
        const out =
          value < BIG_DECIMAL && value > -BIG_DECIMAL
            ? `~b${value.toString()}`
            : value < 0n
              ? `~b-x${(-value).toString(16)}`
              : `~bx${value.toString(16)}`;
        this.size += out.length;
        return out;
      }
      case 'object':
        return value === null ? null : this.object(value, depth);
      default:
        // Functions and symbols are not data: dropped, as JSON does.
        return undefined;
    }
  }

  /** The JSON-safe form of a value that is not an object. */
  primitive(v: unknown, depth: number): unknown {
    switch (typeof v) {
      case 'string':
        this.size += v.length + 2;
        return v.charCodeAt(0) === TILDE ? this.other(v, depth) : v;
      case 'boolean':
        return v;
      case 'number':
        return v - v === 0 && (v !== 0 || 1 / v > 0) ? v : this.other(v, depth);
      default:
        return this.other(v, depth);
    }
  }

  /** Returns the JSON-safe replacement of `obj` (the same reference when nothing changes). */
  object(obj: object, depth: number): unknown {
    if (depth > this.maxDepth) {
      throw new CheckpointError('too-deep', {
        path: this.path(depth),
        detail: `nesting is deeper than ${this.maxDepth}`,
      });
    }
    if (isArray(obj)) return this.enter(obj) ? this.array(obj, depth) : this.ref(obj);
    const proto: unknown = getProto(obj);
    if (proto === ObjectProto || proto === null) {
      if (typeof (obj as Obj)['toJSON'] === 'function') return this.toJSON(obj, depth);
      return this.enter(obj) ? this.plain(obj as Obj, depth) : this.ref(obj);
    }
    return this.special(obj, depth, true);
  }

  private array(arr: unknown[], depth: number): unknown {
    const start = this.size;
    const inner = depth + 1;
    let est = 2 + arr.length;
    let copy: unknown[] | undefined;
    for (let i = 0; i < arr.length; i++) {
      if (this.size - start + est > PIECE) return this.stream(arr, i, copy ?? arr, start, est, depth);
      const v = arr[i];
      let r: unknown;
      if (typeof v === 'object') {
        if (v === null) {
          est += 4;
          continue;
        }
        this.keys[inner] = i;
        r = this.object(v, inner);
        if (r === v) continue;
      } else if (typeof v === 'string') {
        est += v.length + 2;
        if (v.charCodeAt(0) !== TILDE) continue;
        r = this.other(v, inner);
      } else if (typeof v === 'number') {
        est += 8;
        if (v - v === 0 && (v !== 0 || 1 / v > 0)) continue;
        r = this.other(v, inner);
      } else if (typeof v === 'boolean') {
        est += 5;
        continue;
      } else {
        est += 6;
        r = this.other(v, inner);
        // As in JSON, a dropped item becomes null.
        if (r === undefined) r = null;
      }
      copy ??= arr.slice();
      copy[i] = r;
    }
    const out = copy ?? arr;
    this.size += est;
    this.sized(out, start);
    return out;
  }

  /**
   * The rest of a long array from item `from` on, turned into JSON as the walk
   * goes, about PIECE chars at a time: the copies made for its items die young
   * instead of living until the whole value is walked. `done` holds the
   * results of the items before `from`.
   */
  private stream(arr: unknown[], from: number, done: unknown[], start: number, est: number, depth: number): Streamed {
    const inner = depth + 1;
    const large = (this.big ??= new Map());
    const items: Array<string | object> = [];
    let batch: unknown[] = [];
    let batchStart = this.size + est;
    const flush = (): void => {
      if (batch.length > 0) items.push(JSON.stringify(batch).slice(1, -1));
      batch = [];
      batchStart = this.size + est;
    };
    const add = (r: unknown): void => {
      if (typeof r === 'object' && r !== null && large.has(r)) {
        flush();
        items.push(r);
      } else {
        batch.push(r);
        if (this.size + est - batchStart > PIECE) flush();
      }
    };
    for (let i = 0; i < from; i++) add(done[i]);
    for (let i = from; i < arr.length; i++) {
      const v = arr[i];
      let r: unknown;
      if (typeof v === 'object') {
        if (v === null) {
          est += 4;
          r = null;
        } else {
          this.keys[inner] = i;
          r = this.object(v, inner);
        }
      } else if (typeof v === 'string') {
        est += v.length + 2;
        r = v.charCodeAt(0) === TILDE ? this.other(v, inner) : v;
      } else if (typeof v === 'number') {
        est += 8;
        r = v - v === 0 && (v !== 0 || 1 / v > 0) ? v : this.other(v, inner);
      } else if (typeof v === 'boolean') {
        est += 5;
        r = v;
      } else {
        est += 6;
        r = this.other(v, inner) ?? null;
      }
      add(r);
    }
    flush();
    this.size += est;
    const out = new Streamed(items);
    large.set(out, this.size - start);
    return out;
  }

  /** The key as written: escaped when the document escapes keys and this one needs it. */
  private keyOf(k: string): string {
    if (k === UNSAFE_KEY) {
      if (!this.escapeKeys) throw RESTART;
      this.flags |= FLAG_MARKERS | FLAG_KEYS;
      return ESCAPED_PROTO;
    }
    return this.escapeKeys && k.charCodeAt(0) === TILDE ? `~${k}` : k;
  }

  private plain(obj: Obj, depth: number): unknown {
    if (this.escapeKeys && hasEscapedKey(obj)) return this.renamed(obj, depth);
    const start = this.size;
    const inner = depth + 1;
    let est = 2;
    let copy: Obj | undefined;
    for (const k in obj) {
      if (!hasOwn.call(obj, k)) continue;
      if (k === UNSAFE_KEY) throw RESTART;
      const v = obj[k];
      est += k.length + 4;
      let r: unknown;
      if (typeof v === 'object') {
        if (v === null) {
          est += 4;
          continue;
        }
        this.keys[inner] = k;
        r = this.object(v, inner);
        if (r === v) continue;
      } else if (typeof v === 'string') {
        est += v.length + 2;
        if (v.charCodeAt(0) !== TILDE) continue;
        r = this.other(v, inner);
      } else if (typeof v === 'number') {
        est += 8;
        if (v - v === 0 && (v !== 0 || 1 / v > 0)) continue;
        r = this.other(v, inner);
      } else if (typeof v === 'boolean') {
        est += 5;
        continue;
      } else {
        est += 6;
        r = this.other(v, inner);
      }
      // Copy-on-write: the caller's data is never modified. A dropped value
      // (function, symbol) is set to undefined, which JSON.stringify leaves out.
      copy ??= { ...obj };
      copy[k] = r;
    }
    const out = copy ?? obj;
    this.size += est;
    this.sized(out, start);
    return out;
  }

  /** A copy of `obj` under escaped keys, in the same order (only in documents with bit 4). */
  private renamed(obj: Obj, depth: number): Obj {
    const start = this.size;
    const inner = depth + 1;
    this.flags |= FLAG_MARKERS | FLAG_KEYS;
    const out: Obj = {};
    for (const k of Object.keys(obj)) {
      const name = this.keyOf(k);
      const v = obj[k];
      this.keys[inner] = k;
      this.size += name.length + 4;
      // `name` is never "__proto__", so this assignment defines an own property.
      out[name] = typeof v === 'object' && v !== null ? this.object(v, inner) : this.primitive(v, inner);
    }
    this.size += 2;
    this.sized(out, start);
    return out;
  }

  /** JSON's contract: the object decides its data form. Not identity-tracked: each call may return a new value. */
  private toJSON(obj: object, depth: number): unknown {
    const data: unknown = (obj as { toJSON(key: string): unknown }).toJSON('');
    if (typeof data !== 'object' || data === null) return this.primitive(data, depth);
    // The result's own toJSON is not called again (as in JSON.stringify).
    if (isArray(data)) return this.enter(data) ? this.array(data, depth) : this.ref(data);
    const proto: unknown = getProto(data);
    if (proto === ObjectProto || proto === null)
      return this.enter(data) ? this.plain(data as Obj, depth) : this.ref(data);
    return this.special(data, depth, false);
  }

  private special(obj: object, depth: number, useToJSON: boolean): unknown {
    const kind = kindOf(obj);
    if (kind === undefined) {
      // Boxed primitives stand for their value, as in JSON.
      if (obj instanceof String || obj instanceof Number || obj instanceof Boolean || obj instanceof BigInt) {
        return this.primitive((obj as { valueOf(): unknown }).valueOf(), depth);
      }
      if (useToJSON && typeof (obj as Obj)['toJSON'] === 'function') return this.toJSON(obj, depth);
      // Any other class instance is kept as its own enumerable data, like JSON.
      return this.enter(obj) ? this.plain(obj as Obj, depth) : this.ref(obj);
    }
    if (!this.enter(obj)) return this.ref(obj);
    this.flags |= FLAG_MARKERS;
    const inner = depth + 1;
    switch (kind) {
      case 'Date': {
        this.size += 16;
        const t = getTime.call(obj as Date);
        return t === t ? `~d${t}` : '~d';
      }
      case 'Map': {
        const start = this.size;
        const out: unknown[] = ['~M'];
        let i = 0;
        // forEach, not for-of: no [key, value] array per entry.
        (obj as Map<unknown, unknown>).forEach((v, k) => {
          this.keys[inner] = i++;
          out.push(this.item(k, inner), this.item(v, inner));
        });
        this.size += 6 + out.length;
        this.sized(out, start);
        return out;
      }
      case 'Set': {
        const start = this.size;
        const out: unknown[] = ['~S'];
        let i = 0;
        (obj as Set<unknown>).forEach((v) => {
          this.keys[inner] = i++;
          out.push(this.item(v, inner));
        });
        this.size += 6 + out.length;
        this.sized(out, start);
        return out;
      }
      case 'RegExp': {
        const out = `~R${(obj as RegExp).flags}/${(obj as RegExp).source}`;
        this.size += out.length;
        return out;
      }
      case 'Error':
        return this.error(obj as Error, depth);
      case 'ArrayBuffer':
        return this.binary('ArrayBuffer', new Uint8Array(obj as ArrayBuffer));
      default: {
        if (!hasOwn.call(binaryTypes, kind)) {
          throw new CheckpointError('encode', { path: this.path(depth), detail: `${kind} is not supported` });
        }
        const view = obj as ArrayBufferView;
        return this.binary(kind, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      }
    }
  }

  private binary(type: string, bytes: Uint8Array): string {
    const out = `~t${type}:${toBase64(bytes)}`;
    this.size += out.length;
    return out;
  }

  /** A value inside our own marker array: never dropped (null stands in for functions and symbols). */
  private item(v: unknown, depth: number): unknown {
    let r: unknown;
    if (typeof v === 'object' && v !== null) r = this.object(v, depth);
    else {
      this.size += 8;
      r = this.primitive(v, depth);
    }
    return r === undefined ? null : r;
  }

  private error(err: Error, depth: number): unknown[] {
    const start = this.size;
    // Own enumerable props (e.g. `code`, or a `name` set by a subclass) sit one
    // level deeper, in their own object. A `cause` assigned after construction
    // is one of them; one given to the constructor is not enumerable.
    const props: Obj = {};
    const propsStart = this.size;
    const inner = depth + 2;
    let causeInProps = false;
    for (const k in err) {
      if (!hasOwn.call(err, k)) continue;
      if (k === 'cause') causeInProps = true;
      const name = this.keyOf(k);
      this.keys[inner] = k;
      const v = (err as unknown as Obj)[k];
      const r = typeof v === 'object' && v !== null ? this.object(v, inner) : this.primitive(v, inner);
      // Functions and symbols are dropped, as JSON.stringify(error) would.
      if (r !== undefined) props[name] = r;
    }
    this.sized(props, propsStart);
    const stack = err.stack;
    const out: unknown[] = [
      '~E',
      String(err.name),
      String(err.message),
      typeof stack === 'string' ? stack : null,
      props,
    ];
    if (!causeInProps && 'cause' in err) {
      this.keys[depth + 1] = 'cause';
      out.push(this.item(err.cause, depth + 1));
    }
    this.size += 16 + (out[2] as string).length + (typeof stack === 'string' ? stack.length : 0);
    this.sized(out, start);
    return out;
  }
}

/** The walk of `value`: its JSON-safe form and what the encoder learnt on the way. */
function walk(value: unknown, maxDepth: number): { root: unknown; enc: Encoder } {
  const outer = !encoding;
  // Stamps stay small integers (V8 stores larger ones boxed, one allocation per
  // stamp); starting over only makes every object new to the next encode.
  if (outer && nextStamp > 2 ** 30 - 1) {
    sharedStamps = new WeakMap();
    nextStamp = 0;
  }
  let enc = new Encoder(maxDepth);
  encoding = true;
  let root: unknown;
  const run = (): unknown =>
    typeof value === 'object' && value !== null ? enc.object(value, 0) : enc.primitive(value, 0);
  try {
    try {
      root = run();
    } catch (error) {
      if (error !== RESTART) throw error;
      // A "__proto__" key: rare, so only such values pay for a second walk with escaped keys.
      enc = new Encoder(maxDepth, true);
      root = run();
    }
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError('encode', { cause: error });
  } finally {
    if (outer) encoding = false;
  }
  return { root: root === undefined ? null : root, enc };
}

/**
 * The document's JSON text as pieces whose concatenation is exactly
 * `JSON.stringify([root, flags])`: containers estimated over PIECE chars are
 * written here, the rest by JSON.stringify in runs of about PIECE chars.
 */
function pieces(root: unknown, enc: Encoder): string[] {
  const big = enc.big;
  const tail = enc.flags === 0 ? ']' : `,${enc.flags}]`;
  if (big === undefined) return [`[${JSON.stringify(root)}${tail}`];
  const out: string[] = ['['];
  const run = (items: unknown): void => {
    const json = JSON.stringify(items);
    out.push(json.slice(1, -1));
  };
  const write = (v: unknown): void => {
    if (v instanceof Streamed) {
      out.push('[');
      v.items.forEach((item, i) => {
        if (i > 0) out.push(',');
        if (typeof item === 'string') out.push(item);
        else write(item);
      });
      out.push(']');
      return;
    }
    const size = typeof v === 'object' && v !== null ? big.get(v) : undefined;
    if (size === undefined) {
      out.push(JSON.stringify(v));
      return;
    }
    const per = Math.max(1, Math.floor(PIECE / (size / Math.max(1, Object.keys(v as object).length))));
    if (isArray(v)) {
      out.push('[');
      let from = 0;
      for (let i = 0; i <= v.length; i++) {
        const item: unknown = v[i];
        const split = i < v.length && typeof item === 'object' && item !== null && big.has(item);
        if (i === v.length || split || i - from === per) {
          if (i > from) {
            if (from > 0) out.push(',');
            run(v.slice(from, i));
          }
          if (split) {
            if (i > 0) out.push(',');
            write(item);
            from = i + 1;
          } else from = i;
        }
      }
      out.push(']');
      return;
    }
    out.push('{');
    let batch: Obj = {};
    let count = 0;
    let first = true;
    const flush = (): void => {
      if (count === 0) return;
      if (!first) out.push(',');
      first = false;
      run(batch);
      batch = {};
      count = 0;
    };
    for (const k of Object.keys(v as object)) {
      const item = (v as Obj)[k];
      if (typeof item === 'object' && item !== null && big.has(item)) {
        flush();
        if (!first) out.push(',');
        first = false;
        out.push(`${JSON.stringify(k)}:`);
        write(item);
      } else if (item !== undefined && typeof item !== 'function' && typeof item !== 'symbol') {
        batch[k] = item;
        if (++count === per) flush();
      }
    }
    flush();
    out.push('}');
  };
  write(root);
  out.push(tail);
  return out;
}

/** UTF-8 bytes of the concatenated pieces. */
function utf8Bytes(parts: readonly string[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  // Snapshots are nearly always ASCII: one char, one byte, so encodeInto an
  // exact-size buffer; a piece that does not fit means there is other text.
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    const { read, written } = textEncoder.encodeInto(p, at === 0 ? out : out.subarray(at));
    if (read !== p.length) return textEncoder.encode(parts.join(''));
    at += written;
  }
  return out;
}

/** Encodes any supported value to tagged-JSON text. @internal exported for tests and tools */
export function encodeText(value: unknown, maxDepth = DEFAULT_LIMITS.maxDepth): string {
  const { root, enc } = walk(value, maxDepth);
  return pieces(root, enc).join('');
}

function bad(detail: string): CheckpointError {
  return new CheckpointError('decode', { detail });
}

/** What a scan of JSON found over a cap: nesting, or the number of values. */
type Excess = 'depth' | 'values' | undefined;

/**
 * Whether JSON text nests deeper than `maxDepth` or holds more than
 * `maxValues` values (each `,`, `[` and `{` outside strings counts one: about
 * one per value), found without parsing it.
 */
function textExcess(text: string, maxDepth: number, maxValues: number): Excess {
  let depth = 0;
  let values = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip the string: to the next quote not escaped by a backslash.
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 34) break;
        if (s === 92) i++;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return 'depth';
      if (++values > maxValues) return 'values';
    } else if (c === 125 || c === 93) depth--;
    else if (c === 44 && ++values > maxValues) return 'values';
  }
  return undefined;
}

/**
 * The same on UTF-8 bytes, before decoding them (about twice as fast as on the
 * string). Bytes of multi-byte characters are all >= 0x80, so they can never
 * be taken for a quote, backslash, comma or bracket.
 */
function bytesExcess(bytes: Uint8Array, maxDepth: number, maxValues: number): Excess {
  let depth = 0;
  let values = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 34) {
      for (i++; i < n; i++) {
        const s = bytes[i]!;
        if (s === 34) break;
        if (s === 92) i++;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return 'depth';
      if (++values > maxValues) return 'values';
    } else if (c === 125 || c === 93) depth--;
    else if (c === 44 && ++values > maxValues) return 'values';
  }
  return undefined;
}

// The document array and one synthetic level (an error's props) sit above the data.
const depthLimit = (maxDepth: number): number => maxDepth + 2;
// The document array and its flags are two values of their own.
const valueLimit = (maxValues: number): number => maxValues + 2;

/** Throws the typed error for what a scan found, if anything. */
function refuseExcess(excess: Excess, maxDepth: number, maxValues: number): void {
  if (excess === 'depth') throw new CheckpointError('too-deep', { detail: `nesting is deeper than ${maxDepth}` });
  if (excess === 'values') {
    throw new CheckpointError('too-large', {
      detail: `payload holds more than ${maxValues} values (the maxValues limit)`,
    });
  }
}

/** Whether a payload of `length` bytes or chars can exceed either cap (a value or a level takes one at least). */
function mayExceed(length: number, maxDepth: number, maxValues: number): boolean {
  return length > 2 * depthLimit(maxDepth) || length > valueLimit(maxValues);
}

function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === UNSAFE_KEY) throw new CheckpointError('unsafe-payload', { detail: 'the payload has a "__proto__" key' });
  return value;
}

// A "__proto__" key can only appear literally or with \u escapes of its letters
// (_ p r o t); only then is the slower reviver that refuses it worth paying for.
const PROTO_ESCAPE = /\\u00(?:5[fF]|6[fF]|7[024])/;
function mayHideProtoKey(text: string): boolean {
  return text.includes(UNSAFE_KEY) || (text.includes('\\u') && PROTO_ESCAPE.test(text));
}

class Decoder {
  // Every object in walk order, for "~@n" references; only when the payload has some.
  private readonly objects: unknown[] | undefined;

  constructor(
    refs: boolean,
    private readonly keyed: boolean,
  ) {
    this.objects = refs ? [] : undefined;
  }

  value(v: unknown): unknown {
    if (typeof v === 'string') return v.charCodeAt(0) === TILDE ? this.marker(v) : v;
    if (typeof v !== 'object' || v === null) return v;
    return isArray(v) ? this.array(v) : this.plain(v as Obj);
  }

  private array(arr: unknown[]): unknown {
    const head = arr[0];
    if (head === '~M' || head === '~S' || head === '~E') return this.container(head, arr);
    this.objects?.push(arr);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (typeof v === 'string') {
        if (v.charCodeAt(0) === TILDE) arr[i] = this.marker(v);
      } else if (typeof v === 'object' && v !== null) {
        const r = isArray(v) ? this.array(v) : this.plain(v as Obj);
        if (r !== v) arr[i] = r;
      }
    }
    return arr;
  }

  private plain(obj: Obj, numbered = true): Obj {
    if (this.keyed && hasTildeKey(obj)) return this.unescaped(obj, numbered);
    if (numbered) this.objects?.push(obj);
    // Only own data keys of a JSON.parse result are written, and "__proto__" was
    // refused before parsing, so no assignment here can reach a prototype.
    for (const k in obj) {
      if (!hasOwn.call(obj, k)) continue;
      const v = obj[k];
      if (typeof v === 'string') {
        if (v.charCodeAt(0) === TILDE) obj[k] = this.marker(v);
      } else if (typeof v === 'object' && v !== null) {
        const r = isArray(v) ? this.array(v) : this.plain(v as Obj);
        if (r !== v) obj[k] = r;
      }
    }
    return obj;
  }

  /**
   * A new object with the keys of `obj` unescaped, in the same order. Every
   * property is defined, never assigned: "__proto__" becomes an own property
   * and no prototype is touched.
   */
  private unescaped(obj: Obj, numbered: boolean): Obj {
    const out: Obj = {};
    if (numbered) this.objects?.push(out);
    for (const k of Object.keys(obj)) {
      let name = k;
      if (k.charCodeAt(0) === TILDE) {
        if (k === ESCAPED_PROTO) name = UNSAFE_KEY;
        else if (k.charCodeAt(1) === TILDE) name = k.slice(1);
        else throw bad(`unknown key escape ${JSON.stringify(k.slice(0, 24))}`);
      }
      Object.defineProperty(out, name, {
        value: this.value(obj[k]),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return out;
  }

  private numbered<T>(value: T): T {
    this.objects?.push(value);
    return value;
  }

  private container(head: string, arr: unknown[]): unknown {
    if (head === '~M') {
      if (arr.length % 2 !== 1) throw bad('a map has an odd number of keys and values');
      const map = this.numbered(new Map<unknown, unknown>());
      for (let i = 1; i < arr.length; i += 2) {
        const k = this.value(arr[i]);
        map.set(k, this.value(arr[i + 1]));
      }
      return map;
    }
    if (head === '~S') {
      const set = this.numbered(new Set<unknown>());
      for (let i = 1; i < arr.length; i++) set.add(this.value(arr[i]));
      return set;
    }
    const [, name, message, stack, props] = arr;
    if (
      typeof name !== 'string' ||
      typeof message !== 'string' ||
      (typeof stack !== 'string' && stack !== null) ||
      typeof props !== 'object' ||
      props === null ||
      isArray(props) ||
      arr.length > 6
    ) {
      throw bad('invalid error');
    }
    const Ctor = hasOwn.call(errorTypes, name) ? errorTypes[name]! : Error;
    const err = this.numbered(new Ctor(message));
    const data = this.plain(props as Obj, false);
    if (err.name !== name && !hasOwn.call(data, 'name')) {
      Object.defineProperty(err, 'name', { value: name, writable: true, configurable: true });
    }
    if (stack === null) delete err.stack;
    else Object.defineProperty(err, 'stack', { value: stack, writable: true, configurable: true });
    for (const k of Object.keys(data)) {
      Object.defineProperty(err, k, { value: data[k], writable: true, enumerable: true, configurable: true });
    }
    if (arr.length === 6) {
      Object.defineProperty(err, 'cause', { value: this.value(arr[5]), writable: true, configurable: true });
    }
    return err;
  }

  private marker(s: string): unknown {
    switch (s.charCodeAt(1)) {
      case 100: {
        // d: the most common marker, read without slicing the string.
        if (s.length === 2) return this.numbered(new Date(NaN));
        const t = integerAt(s, 2);
        if (t !== t) break;
        return this.numbered(new Date(t));
      }
      case TILDE:
        return s.slice(1);
      case 117: // u
        if (s.length === 2) return undefined;
        break;
      case 110: {
        // n
        const body = s.slice(2);
        if (body === 'NaN') return NaN;
        if (body === 'Infinity') return Infinity;
        if (body === '-Infinity') return -Infinity;
        if (body === '-0') return -0;
        break;
      }
      case 98: // b
        return parseBigInt(s.slice(2));
      case 82: {
        // R
        const slash = s.indexOf('/', 2);
        if (slash < 0) break;
        try {
          return this.numbered(new RegExp(s.slice(slash + 1), s.slice(2, slash)));
        } catch (cause) {
          throw new CheckpointError('decode', { detail: 'invalid regular expression', cause });
        }
      }
      case 116: // t
        return this.numbered(parseBinary(s.slice(2)));
      case 64: {
        // @
        const objects = this.objects;
        const n = integerAt(s, 2);
        if (objects === undefined || !(n >= 0 && n < objects.length)) {
          throw bad(`reference ${JSON.stringify(s.slice(0, 24))} points at no earlier object`);
        }
        return objects[n];
      }
    }
    throw bad(`unknown marker ${JSON.stringify(s.slice(0, 24))}`);
  }
}

function hasTildeKey(obj: object): boolean {
  for (const k in obj) if (k.charCodeAt(0) === TILDE) return true;
  return false;
}

/** The decimal integer written from `s[from]` to the end ("-" allowed), or NaN. */
function integerAt(s: string, from: number): number {
  const n = s.length;
  let i = from;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i++;
  // 16 digits hold every Date and any count of objects; more is not ours.
  if (i === n || n - i > 16) return NaN;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

function parseBigInt(body: string): bigint {
  if (/^-?\d+$/.test(body) && body.length <= MAX_DECIMAL_DIGITS + 1) return BigInt(body);
  const neg = body.startsWith('-');
  const hex = neg ? body.slice(1) : body;
  if (!/^x[0-9a-f]+$/.test(hex)) throw bad('invalid bigint');
  const v = BigInt(`0${hex}`);
  return neg ? -v : v;
}

function parseBinary(body: string): object {
  const colon = body.indexOf(':');
  const type = body.slice(0, colon);
  if (colon < 0 || (type !== 'ArrayBuffer' && !hasOwn.call(binaryTypes, type))) throw bad('invalid binary value');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(body.slice(colon + 1));
  } catch (cause) {
    throw new CheckpointError('decode', { detail: 'invalid base64', cause });
  }
  if (type === 'ArrayBuffer') return bytes.buffer;
  const [Ctor, width] = binaryTypes[type]!;
  if (bytes.length % width !== 0) throw bad(`${type} length is not a multiple of its element size`);
  return new Ctor(bytes.buffer as ArrayBuffer);
}

/**
 * Untrusted JSON bytes to text: the size and nesting caps are applied to the
 * bytes, then they are decoded as UTF-8, fatally (no replacement characters).
 * @internal shared by the codecs
 */
export function readUntrustedText(bytes: Uint8Array, limits: DecodeLimits): string {
  const maxBytes = limits.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  if (bytes.length > maxBytes) {
    throw new CheckpointError('too-large', { detail: `payload is ${bytes.length} bytes, the limit is ${maxBytes}` });
  }
  const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const maxValues = limits.maxValues ?? DEFAULT_LIMITS.maxValues;
  if (mayExceed(bytes.length, maxDepth, maxValues)) {
    refuseExcess(bytesExcess(bytes, depthLimit(maxDepth), valueLimit(maxValues)), maxDepth, maxValues);
  }
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new CheckpointError('decode', { detail: 'payload is not valid UTF-8', cause });
  }
}

/**
 * Throws what restore would throw for `payload` under `limits` (`too-large`,
 * `too-deep`), before it is written, when `codec` reads its payload as JSON
 * text with these caps (the kit's JSON codecs); other codecs apply their own.
 * Saving a checkpoint that no restore would accept would push readable
 * generations out of retention: refusing it keeps them, and says so.
 * @internal used by the writers
 */
export function checkWritable(codec: Codec, payload: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): void {
  if (codec.id !== taggedJsonCodec.id && codec.id !== 'superjson') return;
  try {
    const maxBytes = limits.maxBytes ?? DEFAULT_LIMITS.maxBytes;
    if (payload.length > maxBytes) {
      throw new CheckpointError('too-large', {
        detail: `payload is ${payload.length} bytes, the limit is ${maxBytes}`,
      });
    }
    const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth;
    const maxValues = limits.maxValues ?? DEFAULT_LIMITS.maxValues;
    // This codec's encoder refuses nesting past the default depth itself, and a payload holds
    // fewer values than bytes: most writes need no scan (a scan costs about 8% of an encode).
    const encoderDepth = codec.id === taggedJsonCodec.id ? DEFAULT_LIMITS.maxDepth : 0;
    const depthUnchecked = maxDepth < encoderDepth || (encoderDepth === 0 && payload.length > 2 * depthLimit(maxDepth));
    if (depthUnchecked || payload.length > valueLimit(maxValues)) {
      refuseExcess(bytesExcess(payload, depthLimit(maxDepth), valueLimit(maxValues)), maxDepth, maxValues);
    }
  } catch (error) {
    const e = error as CheckpointError;
    throw new CheckpointError(e.code, {
      detail: `not written: restore would refuse this checkpoint (${e.detail ?? e.message}); keep context smaller or raise the limit in the \`limits\` option`,
    });
  }
}

/**
 * JSON.parse for untrusted text that refuses a `__proto__` key, also escaped.
 * Nesting and the number of values are checked first when `maxDepth` is
 * given (text that did not come through {@link readUntrustedText}).
 * @internal shared by the codecs
 */
export function parseUntrustedJson(text: string, maxDepth?: number, maxValues = DEFAULT_LIMITS.maxValues): unknown {
  if (maxDepth !== undefined && mayExceed(text.length, maxDepth, maxValues)) {
    refuseExcess(textExcess(text, depthLimit(maxDepth), valueLimit(maxValues)), maxDepth, maxValues);
  }
  try {
    return mayHideProtoKey(text) ? JSON.parse(text, refuseProtoKey) : JSON.parse(text);
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError('decode', { detail: 'payload is not valid JSON', cause });
  }
}

/** The value of a parsed tagged-JSON document. */
function revive(doc: unknown): unknown {
  if (!isArray(doc) || doc.length < 1 || doc.length > 2) throw bad('payload is not a tagged-JSON document');
  if (doc.length === 1) return doc[0];
  const flags = doc[1];
  // Bit 1 (markers) is always set; bits 2 (references) and 4 (escaped keys) may be.
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 1 || flags > 7 || (flags & FLAG_MARKERS) === 0) {
    throw bad('payload flags are invalid');
  }
  try {
    return new Decoder((flags & FLAG_REFS) !== 0, (flags & FLAG_KEYS) !== 0).value(doc[0]);
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError('decode', { detail: 'payload could not be revived', cause });
  }
}

/** Decodes tagged-JSON text produced by {@link encodeText}. @internal */
export function decodeText(text: string, maxDepth = DEFAULT_LIMITS.maxDepth): unknown {
  return revive(parseUntrustedJson(text, maxDepth));
}

/**
 * The default codec (`xsc1`): JSON, plus short "~" markers for the values JSON
 * cannot carry (Date, Map, Set, BigInt, RegExp, Error, undefined, NaN,
 * ±Infinity, -0, typed arrays, ArrayBuffer, shared and cyclic references).
 * Plain data pays for one identity walk; rich values are marked where they occur.
 * Class instances are kept as their own enumerable data and functions and
 * symbols are dropped, as in JSON.
 *
 * Any own enumerable key round-trips as an own property, `__proto__`
 * included (written escaped, see `docs/format.md`).
 *
 * Decoding is safe on untrusted bytes: caps on size, depth and the number of
 * values before parsing, fatal UTF-8, a literal `__proto__` key is refused,
 * every property is defined (never assigned through a prototype), and nothing
 * is ever looked up by a path from the payload.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * const bytes = taggedJsonCodec.encode({ at: new Date(0), tags: new Set(['a']) });
 * const back = taggedJsonCodec.decode(bytes) as { at: Date; tags: Set<string> };
 * ```
 */
export const taggedJsonCodec: Codec = {
  id: 'xsc1',
  encode(value) {
    const { root, enc } = walk(value, DEFAULT_LIMITS.maxDepth);
    return utf8Bytes(pieces(root, enc));
  },
  decode(bytes, limits = DEFAULT_LIMITS) {
    return revive(parseUntrustedJson(readUntrustedText(bytes, limits)));
  },
};
