import { CheckpointError } from './errors.js';

/** Limits applied before and while decoding untrusted bytes. */
export interface DecodeLimits {
  /** Refuse payloads larger than this many bytes. @default 64 MiB */
  readonly maxBytes?: number;
  /** Refuse payloads nested deeper than this. @default 512 */
  readonly maxDepth?: number;
}

/**
 * Turns snapshot values into bytes and back. The default is {@link taggedJsonCodec};
 * plug in another (e.g. with `superjson`) through the `codec` option.
 */
export interface Codec {
  /** Stored in every envelope; restore refuses payloads of another codec. */
  readonly id: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array, limits?: DecodeLimits): unknown;
}

/** Default {@link DecodeLimits}. */
export const DEFAULT_LIMITS: Required<DecodeLimits> = { maxBytes: 64 * 1024 * 1024, maxDepth: 512 };

type Key = string | number;
type Path = Key[];
// [path, type] or [path, type, extra]
type Tag = [Path, string] | [Path, string, unknown];

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });
const UNSAFE_KEY = '__proto__';

const typedArrays: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
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

class Encoder {
  readonly tags: Tag[] = [];
  // Identity of every container seen, for shared and cyclic references. Paths
  // are rebuilt from parent links only when a duplicate turns up.
  private readonly seen = new Map<object, number>();
  private readonly parents: number[] = [];
  private readonly depths: number[] = [];
  // The steps from the parent container: one key, or several inside a Map pair.
  private readonly keys: Array<Key | Key[]> = [];
  private readonly path: Path = [];

  constructor(private readonly maxDepth: number) {}

  private pathOf(index: number): Path {
    const out: Path = [];
    for (let i = index; i > 0; i = this.parents[i]!) {
      const step = this.keys[i]!;
      if (Array.isArray(step)) for (let j = step.length - 1; j >= 0; j--) out.push(step[j]!);
      else out.push(step);
    }
    return out.reverse();
  }

  private enter(obj: object, parent: number): number | Path {
    const index = this.seen.get(obj);
    if (index !== undefined) return this.pathOf(index);
    const id = this.parents.length;
    this.seen.set(obj, id);
    const path = this.path;
    this.parents.push(parent);
    this.depths.push(path.length);
    const from = id === 0 ? 0 : this.depths[parent]!;
    this.keys.push(path.length - from === 1 ? path[path.length - 1]! : path.slice(from));
    return id;
  }

  private tag(type: string, extra?: unknown): void {
    this.tags.push(extra === undefined ? [this.path.slice(), type] : [this.path.slice(), type, extra]);
  }

  /** Returns the JSON-safe replacement of `value` (the same reference when nothing changes). */
  walk(value: unknown, parent: number): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return value;
        this.tag('n', Object.is(value, -0) ? '-0' : String(value));
        return 0;
      case 'undefined':
        this.tag('u');
        return null;
      case 'bigint':
        this.tag('b');
        return value.toString();
      case 'function':
      case 'symbol':
        // Same as JSON: functions and symbols are not data.
        return undefined;
    }
    if (value === null) return null;
    const obj = value as object;
    if (this.path.length > this.maxDepth) {
      throw new CheckpointError('too-deep', {
        path: this.path.slice(),
        detail: `nesting is deeper than ${this.maxDepth}`,
      });
    }
    const entered = this.enter(obj, parent);
    if (typeof entered !== 'number') {
      this.tag('r', entered);
      return 0;
    }
    if (Array.isArray(obj)) return this.walkArray(obj, entered);
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto === Object.prototype || proto === null) return this.walkObject(obj as Record<string, unknown>, entered);
    return this.walkSpecial(obj, entered);
  }

  private walkArray(arr: unknown[], id: number): unknown {
    let copy: unknown[] | undefined;
    const path = this.path;
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      path.push(i);
      const r = this.walk(v, id);
      path.pop();
      if (r !== v) {
        copy ??= arr.slice();
        copy[i] = r === undefined ? null : r;
      }
    }
    return copy ?? arr;
  }

  private walkObject(obj: Record<string, unknown>, id: number): unknown {
    let copy: Record<string, unknown> | undefined;
    const path = this.path;
    for (const k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      if (k === UNSAFE_KEY) {
        throw new CheckpointError('unsafe-payload', {
          path: path.slice(),
          detail: 'an object has an own "__proto__" key',
        });
      }
      const v = obj[k];
      path.push(k);
      const r = this.walk(v, id);
      path.pop();
      if (r !== v) {
        copy ??= { ...obj };
        if (r === undefined) delete copy[k];
        else copy[k] = r;
      }
    }
    return copy ?? obj;
  }

  private walkEntries(items: Iterable<unknown>, id: number): unknown[] {
    const out: unknown[] = [];
    const path = this.path;
    let i = 0;
    for (const item of items) {
      path.push(i++);
      const r = this.walk(item, id);
      path.pop();
      out.push(r === undefined ? null : r);
    }
    return out;
  }

  private walkSpecial(obj: object, id: number): unknown {
    if (obj instanceof Date) {
      const t = obj.getTime();
      this.tag('D');
      return Number.isNaN(t) ? null : t;
    }
    if (obj instanceof Map) {
      const out: unknown[] = [];
      const path = this.path;
      let i = 0;
      for (const entry of obj) {
        path.push(i++);
        // The pair array is ours, not the user's: it is not registered as a container.
        out.push(this.walkPair(entry as [unknown, unknown], id));
        path.pop();
      }
      this.tag('M');
      return out;
    }
    if (obj instanceof Set) {
      const out = this.walkEntries(obj, id);
      this.tag('S');
      return out;
    }
    if (obj instanceof RegExp) {
      this.tag('R');
      return [obj.source, obj.flags];
    }
    if (obj instanceof Error) {
      const out: Record<string, unknown> = { name: obj.name, message: obj.message };
      if (obj.stack !== undefined) out['stack'] = obj.stack;
      if ('cause' in obj) {
        this.path.push('cause');
        const r = this.walk(obj.cause, id);
        this.path.pop();
        out['cause'] = r === undefined ? null : r;
      }
      this.tag('E');
      return out;
    }
    if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
      const name = obj.constructor.name;
      if (typedArrays[name] === undefined)
        throw new CheckpointError('encode', { path: this.path.slice(), detail: `${name} is not supported` });
      this.tag('T', name);
      return toBase64(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength));
    }
    if (obj instanceof ArrayBuffer) {
      this.tag('T', 'ArrayBuffer');
      return toBase64(new Uint8Array(obj));
    }
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      // Same contract as JSON.stringify: the object decides its own data form.
      return this.walk(toJSON.call(obj), id);
    }
    // Any other class instance is kept as its own enumerable data, like JSON.
    return this.walkObject(obj as Record<string, unknown>, id);
  }

  private walkPair(entry: [unknown, unknown], id: number): unknown[] {
    const path = this.path;
    path.push(0);
    const k = this.walk(entry[0], id);
    path.pop();
    path.push(1);
    const v = this.walk(entry[1], id);
    path.pop();
    return [k === undefined ? null : k, v === undefined ? null : v];
  }
}

/** Encodes any supported value to tagged-JSON text. @internal exported for tests and tools */
export function encodeText(value: unknown, maxDepth = DEFAULT_LIMITS.maxDepth): string {
  const enc = new Encoder(maxDepth);
  let root: unknown;
  try {
    root = enc.walk(value, 0);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError('encode', { cause: error });
  }
  const json = JSON.stringify(root === undefined ? null : root);
  return enc.tags.length === 0 ? `[${json}]` : `[${json},${JSON.stringify(enc.tags)}]`;
}

function unsafe(detail: string, path?: Path): CheckpointError {
  return new CheckpointError('unsafe-payload', { detail, path });
}
function bad(detail: string, path?: Path): CheckpointError {
  return new CheckpointError('decode', { detail, path });
}

/** Nesting depth of JSON text, without parsing it. */
function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === UNSAFE_KEY) throw unsafe('the payload has a "__proto__" key');
  return value;
}

function isContainer(v: unknown): v is Record<Key, unknown> {
  return typeof v === 'object' && v !== null;
}

function stepInto(container: unknown, key: Key, path: Path): unknown {
  if (container instanceof Map) {
    const entry = typeof key === 'number' ? Array.from(container)[key] : undefined;
    if (!entry) throw bad('tag path does not exist', path);
    return entry;
  }
  if (container instanceof Set) {
    const item = typeof key === 'number' ? Array.from(container)[key] : undefined;
    return item;
  }
  if (!isContainer(container)) throw bad('tag path runs through a non-object', path);
  if (
    typeof key === 'string' &&
    (key === UNSAFE_KEY || key === 'constructor' || key === 'prototype') &&
    !Object.hasOwn(container, key)
  ) {
    throw unsafe(`tag path walks through "${key}"`, path);
  }
  if (!Object.hasOwn(container, key)) throw bad('tag path does not exist', path);
  return container[key];
}

function checkPath(raw: unknown): Path {
  if (!Array.isArray(raw)) throw bad('tag path is not an array');
  for (const k of raw) {
    if (typeof k === 'string') {
      if (k === UNSAFE_KEY) throw unsafe('tag path contains "__proto__"');
    } else if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) throw bad('tag path has an invalid step');
  }
  return raw as Path;
}

function reviveTag(type: string, v: unknown, extra: unknown, path: Path): unknown {
  switch (type) {
    case 'u':
      return undefined;
    case 'n':
      if (extra === '-0') return -0;
      if (extra === 'NaN') return NaN;
      if (extra === 'Infinity') return Infinity;
      if (extra === '-Infinity') return -Infinity;
      throw bad('unknown number tag', path);
    case 'b':
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw bad('invalid bigint', path);
      return BigInt(v);
    case 'D':
      if (v === null) return new Date(NaN);
      if (typeof v !== 'number') throw bad('invalid date', path);
      return new Date(v);
    case 'M': {
      if (!Array.isArray(v)) throw bad('invalid map', path);
      const m = new Map<unknown, unknown>();
      for (const pair of v) {
        if (!Array.isArray(pair) || pair.length !== 2) throw bad('invalid map entry', path);
        m.set(pair[0], pair[1]);
      }
      return m;
    }
    case 'S':
      if (!Array.isArray(v)) throw bad('invalid set', path);
      return new Set(v);
    case 'R':
      if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string') throw bad('invalid regexp', path);
      try {
        return new RegExp(v[0], v[1]);
      } catch (cause) {
        throw new CheckpointError('decode', { detail: 'invalid regexp', path, cause });
      }
    case 'E': {
      if (!isContainer(v) || typeof v['message'] !== 'string' || typeof v['name'] !== 'string')
        throw bad('invalid error', path);
      const Ctor = Object.hasOwn(errorTypes, v['name']) ? errorTypes[v['name']]! : Error;
      const e = Object.hasOwn(v, 'cause') ? new Ctor(v['message'], { cause: v['cause'] }) : new Ctor(v['message']);
      if (e.name !== v['name'])
        Object.defineProperty(e, 'name', { value: v['name'], writable: true, configurable: true });
      if (typeof v['stack'] === 'string') e.stack = v['stack'];
      return e;
    }
    case 'T': {
      if (typeof v !== 'string' || typeof extra !== 'string') throw bad('invalid binary', path);
      let bytes: Uint8Array;
      try {
        bytes = fromBase64(v);
      } catch (cause) {
        throw new CheckpointError('decode', { detail: 'invalid base64', path, cause });
      }
      if (extra === 'ArrayBuffer') return bytes.buffer;
      if (!Object.hasOwn(typedArrays, extra)) throw bad(`unknown binary type ${extra}`, path);
      const Ctor = typedArrays[extra]!;
      const width = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      if (bytes.length % width !== 0) throw bad('binary length does not fit its type', path);
      return new Ctor(bytes.buffer as ArrayBuffer);
    }
    default:
      throw bad(`unknown tag "${type}"`, path);
  }
}

function setAt(container: unknown, key: Key, value: unknown, path: Path): void {
  if (container instanceof Map) throw bad('cannot assign into a map here', path);
  if (!isContainer(container)) throw bad('tag path runs through a non-object', path);
  if (Array.isArray(container)) {
    if (typeof key !== 'number' || key >= container.length) throw bad('tag path does not exist', path);
  } else if (!Object.hasOwn(container, key)) throw bad('tag path does not exist', path);
  container[key] = value;
}

function applyTags(root: unknown, rawTags: unknown): unknown {
  if (!Array.isArray(rawTags)) throw bad('tags are not an array');
  const holder: Record<Key, unknown> = { '': root };
  const resolve = (path: Path): [unknown, Key] => {
    let parent: unknown = holder;
    let key: Key = '';
    for (const step of path) {
      parent = stepInto(parent, key, path);
      key = step;
    }
    return [parent, key];
  };
  const replaced = new Map<unknown, unknown>();
  const refs: Array<[Path, Path]> = [];
  for (const raw of rawTags) {
    if (!Array.isArray(raw) || typeof raw[1] !== 'string') throw bad('invalid tag entry');
    const path = checkPath(raw[0]);
    const type = raw[1];
    const [parent, key] = resolve(path);
    if (type === 'r') {
      const target = checkPath(raw[2]);
      const [tParent, tKey] = resolve(target);
      setAt(parent, key, stepInto(tParent, tKey, target), path);
      refs.push([path, target]);
      continue;
    }
    const current = stepInto(parent, key, path);
    const next = reviveTag(type, current, raw[2], path);
    if (isContainer(current)) replaced.set(current, next);
    setAt(parent, key, next, path);
  }
  // A reference to an ancestor that was revived after it (a cycle through a Map,
  // Set or Error) still points at the encoded form: point it at the revived one.
  if (replaced.size > 0) {
    for (const [path, target] of refs) {
      const [tParent, tKey] = resolve(target);
      const final = stepInto(tParent, tKey, target);
      const [parent, key] = resolve(path);
      const current = parent instanceof Map || parent instanceof Set ? undefined : stepInto(parent, key, path);
      if (current !== final && replaced.has(current)) setAt(parent, key, final, path);
    }
    fixEncodedLeftovers(holder[''], replaced, new Set());
  }
  return holder[''];
}

// Swap any encoded container still referenced inside Map/Set values for its
// revived object (cycles that run through a Map or Set).
function fixEncodedLeftovers(value: unknown, replaced: Map<unknown, unknown>, visited: Set<unknown>): void {
  if (!isContainer(value) || visited.has(value)) return;
  visited.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (replaced.has(v)) value.set(k, replaced.get(v));
      fixEncodedLeftovers(k, replaced, visited);
      fixEncodedLeftovers(value.get(k), replaced, visited);
    }
  } else if (value instanceof Set) {
    const items = Array.from(value);
    if (items.some((i) => replaced.has(i))) {
      value.clear();
      for (const i of items) value.add(replaced.has(i) ? replaced.get(i) : i);
    }
    for (const i of value) fixEncodedLeftovers(i, replaced, visited);
  } else if (!(value instanceof Date) && !(value instanceof RegExp) && !ArrayBuffer.isView(value)) {
    for (const k of Object.keys(value)) {
      const v = value[k];
      if (replaced.has(v)) value[k] = replaced.get(v);
      fixEncodedLeftovers(value[k], replaced, visited);
    }
    if (value instanceof Error && replaced.has(value.cause)) value.cause = replaced.get(value.cause);
  }
}

/** Decodes tagged-JSON text produced by {@link encodeText}. @internal */
export function decodeText(text: string, maxDepth = DEFAULT_LIMITS.maxDepth): unknown {
  if (text.length > 2 * maxDepth && jsonDepthExceeds(text, maxDepth)) {
    throw new CheckpointError('too-deep', { detail: `nesting is deeper than ${maxDepth}` });
  }
  let parsed: unknown;
  try {
    // A "__proto__" key can only appear literally or with a \u escape; only
    // then pay for the reviver that refuses it.
    parsed = text.includes(UNSAFE_KEY) || text.includes('\\u') ? JSON.parse(text, refuseProtoKey) : JSON.parse(text);
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError('decode', { detail: 'payload is not valid JSON', cause });
  }
  if (!Array.isArray(parsed) || parsed.length < 1 || parsed.length > 2)
    throw bad('payload is not a tagged-JSON document');
  return parsed.length === 1 ? parsed[0] : applyTags(parsed[0], parsed[1]);
}

/**
 * The default codec (`xsc1`): JSON, plus a side list of tags for the values
 * JSON cannot carry (Date, Map, Set, BigInt, RegExp, Error, undefined, NaN,
 * ±Infinity, -0, typed arrays, shared and cyclic references). Plain data pays
 * only for one identity walk; rich values are tagged where they occur.
 *
 * Decoding is safe on untrusted bytes: size and depth caps before parsing,
 * fatal UTF-8, and no `__proto__` key or prototype path is ever followed.
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
    return encoder.encode(encodeText(value));
  },
  decode(bytes, limits = DEFAULT_LIMITS) {
    const maxBytes = limits.maxBytes ?? DEFAULT_LIMITS.maxBytes;
    if (bytes.length > maxBytes) {
      throw new CheckpointError('too-large', { detail: `payload is ${bytes.length} bytes, the limit is ${maxBytes}` });
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (cause) {
      throw new CheckpointError('decode', { detail: 'payload is not valid UTF-8', cause });
    }
    return decodeText(text, limits.maxDepth ?? DEFAULT_LIMITS.maxDepth);
  },
};
