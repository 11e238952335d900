import { CheckpointError } from '../errors.js';
import * as format from './format.js';
import { type Obj } from './format.js';
import { kindOf } from './kind.js';
import { PIECE as PIECE_CHARS } from './utf8.js';

// Module locals, not imported bindings in the hot loops: a bundle inlines
// imports, but a module runner (vitest, tsx) turns each use of an imported name
// into a property load, measured at ~8-15% of a plain encode.
const {
  BIG_DECIMAL,
  binaryTypes,
  ESCAPED_PROTO,
  FLAG_KEYS,
  FLAG_MARKERS,
  FLAG_REFS,
  hasOwn,
  isArray,
  TILDE,
  toBase64,
  UNSAFE_KEY,
} = format;
const PIECE = PIECE_CHARS;

const getProto = Object.getPrototypeOf;
const ObjectProto = Object.prototype;
const getTime = Date.prototype.getTime;

/** True for a finite number other than -0: JSON writes it as it is. */
const isPlainNumber = (v: number): boolean => v - v === 0 && (v !== 0 || 1 / v > 0);

/**
 * The JSON of a long array, made during the walk: text runs of items (without
 * brackets) and, between them, items written by the writer (a streamed or
 * large child). Every container that holds one is large too (sizes add up), so
 * the writer, never JSON.stringify, meets it.
 */
export class Streamed {
  constructor(readonly items: ReadonlyArray<string | object>) {}
  toJSON(): never {
    throw new CheckpointError('encode', { detail: 'internal error: a streamed array reached JSON.stringify' });
  }
}

/** Thrown by a walk that meets a "__proto__" key without escaping keys; never leaves {@link walk}. */
const RESTART = new CheckpointError('encode', { detail: 'internal: the walk restarts with escaped keys' });

/** True when for-in over `obj` yields any key. */
function hasEnumerableKey(obj: object): boolean {
  for (const _ in obj) return true;
  return false;
}

/** True when `obj` has an own key that a document with escaped keys writes differently. */
function hasEscapedKey(obj: object): boolean {
  for (const k in obj) {
    if (hasOwn.call(obj, k) && (k === UNSAFE_KEY || k.charCodeAt(0) === TILDE)) return true;
  }
  return false;
}

// Identity of the objects met, for shared and cyclic references. Each object is
// stamped from a global counter; a stamp at or above an encode's base was given
// by that encode. Re-stamping objects already in the WeakMap (the same context
// objects, checkpoint after checkpoint) costs far less than inserting every
// object into a fresh Set or Map.
let sharedStamps = new WeakMap<object, number>();
let nextStamp = 0;
let encoding = false;

export class Encoder {
  flags = 0;
  /**
   * Object.prototype has no enumerable key (as in any sane realm), so for-in
   * over an object whose prototype is Object.prototype yields own keys only.
   * Checked once per encode: a library can add one at any time.
   */
  readonly ownOnly = !hasEnumerableKey(ObjectProto);
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
        return value === 0 ? '~n-0' : `~n${String(value)}`;
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
        return isPlainNumber(v) ? v : this.other(v, depth);
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
      return this.enter(obj) ? this.plain(obj as Obj, depth, proto === null || this.ownOnly) : this.ref(obj);
    }
    return this.special(obj, depth, true);
  }

  // array, stream and plain each inline the per-item type dispatch: one shared
  // per-item method measured 5-8% slower on plain encodes (1 KB to 1 MB).
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
        if (isPlainNumber(v)) continue;
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
   * instead of living until the whole value is walked, and each run is
   * stringified while its objects are still in the CPU's cache. `done` holds
   * the results of the items before `from`.
   */
  private stream(arr: unknown[], from: number, done: unknown[], start: number, est: number, depth: number): Streamed {
    const inner = depth + 1;
    const items: Array<string | object> = [];
    // The current run is arr[runFrom..i), with the replaced items in `run`
    // (a copy made at the first replacement, then grown item by item).
    let runFrom = 0;
    let run: unknown[] | undefined = done === arr ? undefined : done.slice(0, from);
    // array() streams from the item after the one that took it over PIECE, so
    // of the items before `from` only the last can be large.
    const last = done[from - 1];
    if (typeof last === 'object' && last !== null && this.big?.has(last) === true) {
      if (from > 1) items.push(JSON.stringify(done.slice(0, from - 1)).slice(1, -1));
      items.push(last);
      runFrom = from;
      run = undefined;
    }
    let runStart = this.size + est;
    for (let i = from; i < arr.length; i++) {
      if (this.size + est - runStart > PIECE) {
        items.push(JSON.stringify(run ?? arr.slice(runFrom, i)).slice(1, -1));
        runFrom = i;
        run = undefined;
        runStart = this.size + est;
      }
      const v = arr[i];
      let r: unknown;
      if (typeof v === 'object') {
        if (v === null) {
          est += 4;
          r = null;
        } else {
          this.keys[inner] = i;
          const before = this.size;
          r = this.object(v, inner);
          // A large child (in `big`) is written by the writer, between runs.
          if (this.size - before > PIECE && typeof r === 'object' && r !== null) {
            if (i > runFrom) items.push(JSON.stringify(run ?? arr.slice(runFrom, i)).slice(1, -1));
            items.push(r);
            runFrom = i + 1;
            run = undefined;
            runStart = this.size + est;
            continue;
          }
        }
      } else if (typeof v === 'string') {
        est += v.length + 2;
        r = v.charCodeAt(0) === TILDE ? this.other(v, inner) : v;
      } else if (typeof v === 'number') {
        est += 8;
        r = isPlainNumber(v) ? v : this.other(v, inner);
      } else if (typeof v === 'boolean') {
        est += 5;
        r = v;
      } else {
        est += 6;
        r = this.other(v, inner) ?? null;
      }
      if (run !== undefined) run.push(r);
      else if (r !== v) {
        run = arr.slice(runFrom, i);
        run.push(r);
      }
    }
    if (arr.length > runFrom) items.push(JSON.stringify(run ?? arr.slice(runFrom)).slice(1, -1));
    this.size += est;
    const out = new Streamed(items);
    (this.big ??= new Map()).set(out, this.size - start);
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

  /** @param own Every key for-in yields is own (no enumerable key up the prototype chain). */
  private plain(obj: Obj, depth: number, own: boolean): unknown {
    if (this.escapeKeys && hasEscapedKey(obj)) return this.renamed(obj, depth);
    const start = this.size;
    const inner = depth + 1;
    let est = 2;
    let copy: Obj | undefined;
    for (const k in obj) {
      // The own-key check is 10-25% of a plain walk; it is only needed when a
      // prototype has enumerable keys.
      if (!own && !hasOwn.call(obj, k)) continue;
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
        if (isPlainNumber(v)) continue;
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
      return this.enter(data) ? this.plain(data as Obj, depth, proto === null || this.ownOnly) : this.ref(data);
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
      return this.enter(obj) ? this.plain(obj as Obj, depth, false) : this.ref(obj);
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
export function walk(value: unknown, maxDepth: number): { root: unknown; enc: Encoder } {
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
