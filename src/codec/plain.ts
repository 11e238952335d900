// The default codec's own part: plain JSON data, which is what most snapshots hold.
import { TILDE } from './format-id.js';

const getProto = Object.getPrototypeOf;
const ObjectProto = Object.prototype;
const isArray = Array.isArray;

// Identity of the objects met, for shared and cyclic references (which only the full
// codec writes): stamped from a counter, as the encoder does (see encode.ts).
let stamps = new WeakMap<object, number>();
let next = 0;
let base = 0;
let maxDepth = 0;
/** Estimated JSON length of what was walked, as the encoder estimates it. */
let size = 0;

function plainValue(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
      size += v.length + 2;
      return v.charCodeAt(0) !== TILDE;
    case 'number':
      size += 8;
      // Finite and not -0: JSON writes it as the codec does.
      return v - v === 0 && (v !== 0 || 1 / v > 0);
    case 'boolean':
      size += 5;
      return true;
    case 'object':
      size += 4;
      return v === null || plainObject(v, depth + 1);
    default:
      // undefined and bigint are marked; functions and symbols are dropped (copy on write).
      return false;
  }
}

function plainObject(obj: object, depth: number): boolean {
  if (depth > maxDepth) return false;
  const stamp = stamps.get(obj);
  if (stamp !== undefined && stamp >= base) return false;
  stamps.set(obj, next++);
  if (isArray(obj)) {
    for (let i = 0; i < obj.length; i++) if (!plainValue(obj[i], depth)) return false;
    return true;
  }
  const proto: unknown = getProto(obj);
  if ((proto !== ObjectProto && proto !== null) || typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return false;
  }
  // Only own keys: the caller checked that Object.prototype has no enumerable one.
  for (const k in obj) {
    if (k === '__proto__') return false;
    size += k.length + 4;
    if (!plainValue((obj as Record<string, unknown>)[k], depth)) return false;
  }
  return true;
}

/**
 * The JSON text of `[value]` when that is exactly what the tagged-JSON format
 * (`xsc1`) writes for `value`: plain objects and arrays of strings without a
 * leading "~", finite numbers other than -0, booleans and null, each object
 * met once, no `__proto__` key, no `toJSON`, nested at most `depth` deep.
 * `undefined` for anything else, which the full encoder writes. `onLarge`
 * is told when the text is estimated over `large` chars.
 *
 * @example
 * ```ts
 * import { plainText } from './plain.js';
 * plainText({ n: 1, tags: ['a'] }, 512); // '[{"n":1,"tags":["a"]}]'
 * plainText({ at: new Date(0) }, 512); // undefined
 * ```
 */
export function plainText(value: unknown, depth: number, large = Infinity, onLarge?: () => void): string | undefined {
  for (const _ in ObjectProto) return undefined;
  // Stamps stay small integers (V8 boxes larger ones); starting over only makes every object new.
  if (next > 2 ** 30 - 1) {
    stamps = new WeakMap();
    next = 0;
  }
  // A getter that encodes again runs its own walk: the outer one keeps its own bounds.
  const outer = [base, maxDepth, size] as const;
  base = next;
  maxDepth = depth;
  size = 0;
  try {
    if (!(typeof value === 'object' && value !== null ? plainObject(value, 0) : plainValue(value, -1)))
      return undefined;
    if (size > large) onLarge?.();
    return JSON.stringify([value]);
  } finally {
    [base, maxDepth, size] = outer;
  }
}
