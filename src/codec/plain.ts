// The default codec's own part: JSON data plus the few markers every XState snapshot holds
// (`undefined`, which `output` and `error` are; a string with a leading "~"; NaN, ±Infinity
// and -0), written and read exactly as the full codec does (see format.ts). Anything else
// (a Date, a Map, a BigInt, a shared object, a "__proto__" key, ...) is for the full codec.
import { TILDE } from './format-id.js';

const getProto = Object.getPrototypeOf;
const ObjectProto = Object.prototype;
const isArray = Array.isArray;

/** Returned by the walks for a value only the full codec writes or reads. */
const FULL: unique symbol = Symbol('full codec');
type Out = unknown;

// Identity of the objects met, for shared and cyclic references (which only the full codec
// writes): stamped from a counter, as the encoder does (see encode.ts).
let stamps = new WeakMap<object, number>();
let next = 0;
let base = 0;
let maxDepth = 0;
/** Estimated JSON length of what was walked, as the encoder estimates it. */
let size = 0;
let marked = false;

/** The JSON-safe form of a value that is not a non-null object: the full encoder's `primitive`. */
function primitive(v: unknown): Out {
  switch (typeof v) {
    case 'string':
      size += v.length + 2;
      if (v.charCodeAt(0) !== TILDE) return v;
      marked = true;
      return `~${v}`;
    case 'number':
      size += 8;
      if (v - v === 0 && (v !== 0 || 1 / v > 0)) return v;
      marked = true;
      return v === 0 ? '~n-0' : `~n${String(v)}`;
    case 'boolean':
    case 'object': // null
      size += 5;
      return v;
    case 'undefined':
      size += 6;
      marked = true;
      return '~u';
    case 'bigint':
      return FULL;
    default:
      // Functions and symbols are not data: dropped, as JSON does.
      return undefined;
  }
}

/** The JSON-safe form of `obj` (itself when nothing changes, else a copy), or FULL. */
function object(obj: object, depth: number): Out {
  if (depth > maxDepth) return FULL;
  const stamp = stamps.get(obj);
  if (stamp !== undefined && stamp >= base) return FULL;
  stamps.set(obj, next++);
  if (isArray(obj)) {
    size += 2 + obj.length;
    let copy: unknown[] | undefined;
    for (let i = 0; i < obj.length; i++) {
      const v: unknown = obj[i];
      if (typeof v === 'string' && v.charCodeAt(0) !== TILDE) {
        size += v.length + 2;
        continue;
      }
      const r = typeof v === 'object' && v !== null ? object(v, depth + 1) : primitive(v);
      if (r === v) continue;
      if (r === FULL) return FULL;
      // As in JSON, a dropped item becomes null.
      (copy ??= obj.slice())[i] = r === undefined ? null : r;
    }
    return copy ?? obj;
  }
  const proto: unknown = getProto(obj);
  if ((proto !== ObjectProto && proto !== null) || typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return FULL;
  }
  size += 2;
  let copy: Record<string, unknown> | undefined;
  // Only own keys: plainJson checked that Object.prototype has no enumerable one.
  for (const k in obj) {
    if (k === '__proto__') return FULL;
    const v = (obj as Record<string, unknown>)[k];
    size += k.length + 4;
    if (typeof v === 'string' && v.charCodeAt(0) !== TILDE) {
      size += v.length + 2;
      continue;
    }
    const r = typeof v === 'object' && v !== null ? object(v, depth + 1) : primitive(v);
    if (r === v) continue;
    if (r === FULL) return FULL;
    // Copy on write: the caller's data is never modified; a dropped value is left out by JSON.
    (copy ??= { ...(obj as Record<string, unknown>) })[k] = r;
  }
  return copy ?? obj;
}

/**
 * The tagged-JSON (`xsc1`) text of `value` when it holds only JSON data and
 * the markers this part writes (`undefined`, strings with a leading "~",
 * NaN, ±Infinity, -0; functions and symbols dropped as in JSON), each object
 * met once, no `__proto__` key, no `toJSON`, nested at most `depth` deep:
 * the same text as the full encoder's. `undefined` for anything else.
 * `onLarge` is told when the text is estimated over `large` chars.
 *
 * @example
 * ```ts
 * import { plainJson } from './plain.js';
 * plainJson({ n: 1, output: undefined }, 512); // '[{"n":1,"output":"~u"},1]'
 * plainJson({ at: new Date(0) }, 512); // undefined
 * ```
 */
export function plainJson(value: unknown, depth: number, large = Infinity, onLarge?: () => void): string | undefined {
  for (const _ in ObjectProto) return undefined;
  // Stamps stay small integers (V8 boxes larger ones); starting over only makes every object new.
  if (next > 2 ** 30 - 1) {
    stamps = new WeakMap();
    next = 0;
  }
  // A getter that encodes again runs its own walk: the outer one keeps its own state.
  const outer = [base, maxDepth, size, marked] as const;
  base = next;
  maxDepth = depth;
  size = 0;
  marked = false;
  try {
    const r = typeof value === 'object' && value !== null ? object(value, 0) : primitive(value);
    if (r === FULL) return undefined;
    if (size > large) onLarge?.();
    const root = r === undefined ? null : r;
    return JSON.stringify(marked ? [root, 1] : [root]);
  } finally {
    [base, maxDepth, size, marked] = outer;
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/** A parsed array with its markers read in place: the full decoder's walk for documents of flags 1. */
function reviveArray(arr: unknown[]): Out {
  const head = arr[0];
  if (head === '~M' || head === '~S' || head === '~E') return FULL;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    let r: unknown;
    if (typeof v === 'string') {
      if (v.charCodeAt(0) !== TILDE) continue;
      r = marker(v);
    } else if (typeof v === 'object' && v !== null) {
      r = isArray(v) ? reviveArray(v) : reviveObject(v as Record<string, unknown>);
      if (r === v) continue;
    } else continue;
    if (r === FULL) return FULL;
    arr[i] = r;
  }
  return arr;
}

/** A parsed object with its markers read in place (see {@link reviveArray}). */
function reviveObject(obj: Record<string, unknown>): Out {
  // Own data keys of a JSON.parse result, "__proto__" refused before parsing: no assignment reaches a prototype.
  for (const k in obj) {
    if (!hasOwn.call(obj, k)) continue;
    const v = obj[k];
    let r: unknown;
    if (typeof v === 'string') {
      if (v.charCodeAt(0) !== TILDE) continue;
      r = marker(v);
    } else if (typeof v === 'object' && v !== null) {
      r = isArray(v) ? reviveArray(v) : reviveObject(v as Record<string, unknown>);
      if (r === v) continue;
    } else continue;
    if (r === FULL) return FULL;
    obj[k] = r;
  }
  return obj;
}

function marker(s: string): Out {
  const c = s.charCodeAt(1);
  if (c === TILDE) return s.slice(1);
  if (c === 117 && s.length === 2) return undefined; // u
  if (c === 110) {
    // n
    const body = s.slice(2);
    if (body === 'NaN') return NaN;
    if (body === 'Infinity') return Infinity;
    if (body === '-Infinity') return -Infinity;
    if (body === '-0') return -0;
  }
  // Dates, BigInts, references, ... and malformed markers: the full decoder reads or refuses them.
  return FULL;
}

/** What {@link plainRevive} returns for a document the full decoder must read. */
export const NEEDS_FULL = FULL;

/**
 * The value of a parsed tagged-JSON document when it is `[value]` or
 * `[value, 1]` holding only the markers {@link plainJson} writes; else
 * {@link NEEDS_FULL} (the document may be half read in place then: parse it
 * again for the full decoder).
 *
 * @example
 * ```ts
 * import { plainRevive } from './plain.js';
 * plainRevive(JSON.parse('[{"output":"~u","n":1},1]')); // { output: undefined, n: 1 }
 * ```
 */
export function plainRevive(doc: unknown): unknown {
  if (!isArray(doc)) return FULL;
  if (doc.length === 1) return doc[0];
  if (doc.length !== 2 || doc[1] !== 1) return FULL;
  const root: unknown = doc[0];
  if (typeof root === 'string') return root.charCodeAt(0) === TILDE ? marker(root) : root;
  if (typeof root !== 'object' || root === null) return root;
  return isArray(root) ? reviveArray(root) : reviveObject(root as Record<string, unknown>);
}
