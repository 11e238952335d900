// The xsc1 format's vocabulary, shared by the encoder and the decoder.

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

export { TAGGED_JSON_ID, TILDE, UNSAFE_KEY } from './format-id.js';

export type Obj = Record<string, unknown>;

export const FLAG_MARKERS = 1;
export const FLAG_REFS = 2;
export const FLAG_KEYS = 4;
export const ESCAPED_PROTO = '~__proto__';
// Decimal BigInt parsing is quadratic; past this size the encoder writes hex.
export const BIG_DECIMAL = 1n << 1024n;
export const MAX_DECIMAL_DIGITS = 320;

export const hasOwn = Object.prototype.hasOwnProperty;
export const isArray = Array.isArray;

type BinaryCtor = new (buffer: ArrayBuffer) => object;
// Binary types by name, with their element width.
export const binaryTypes: Record<string, readonly [BinaryCtor, number]> = {
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
export const errorTypes: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
