/**
 * One decoded value as the studio page draws it: every node says what it is,
 * so a Date shows as a date and a Map as its entries, and nothing in the data
 * (a `$type` key, a `__proto__` key) can pass itself off as something else.
 */
export type TreeNode =
  | { readonly t: 'string'; readonly v: string; readonly cut?: number }
  | { readonly t: 'number'; readonly v: string }
  | { readonly t: 'boolean'; readonly v: boolean }
  | { readonly t: 'null' | 'undefined' }
  | { readonly t: 'bigint'; readonly v: string }
  | { readonly t: 'date'; readonly iso: string | null }
  | { readonly t: 'regexp'; readonly v: string }
  | { readonly t: 'error'; readonly name: string; readonly message: string }
  | { readonly t: 'bytes'; readonly kind: string; readonly length: number; readonly hex: string }
  | { readonly t: 'ref'; readonly path: string }
  | { readonly t: 'other'; readonly v: string }
  | {
      readonly t: 'object' | 'array' | 'map' | 'set';
      readonly size: number;
      readonly entries: ReadonlyArray<readonly [TreeNode | string, TreeNode]>;
      /** How many entries were left out (over {@link TreeLimits.entries}). */
      readonly more?: number;
      readonly kind?: string;
    };

/** Caps on what one tree may cost to send and draw. */
export interface TreeLimits {
  /** Entries shown per object, array, Map or Set. @default 200 */
  readonly entries?: number;
  /** Characters shown per string (and per object key). @default 2000 */
  readonly chars?: number;
  /** Nesting shown; deeper values become `other`. @default 40 */
  readonly depth?: number;
  /** Values shown in the whole tree; containers past it list their entries as `more`. @default 10000 */
  readonly nodes?: number;
}

const hex = (bytes: Uint8Array, max: number) =>
  Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');

/** Characters of one key kept in a `ref` path: a path repeats every key above it. */
const PATH_KEY = 100;

/**
 * Turns a decoded value into a {@link TreeNode}: plain objects, arrays, Maps
 * and Sets entry by entry (capped), Dates, BigInts, RegExps, Errors and binary
 * data as themselves, a repeated or cyclic object as a `ref` to where it was
 * first shown. The whole tree is capped ({@link TreeLimits}), so a stored
 * value of a million entries costs what 10,000 do to send and draw.
 *
 * @example
 * ```ts
 * import { toTree } from './tree.js';
 * toTree({ at: new Date(0) });
 * // { t: 'object', size: 1, entries: [['at', { t: 'date', iso: '1970-01-01T00:00:00.000Z' }]] }
 * ```
 */
export function toTree(value: unknown, limits: TreeLimits = {}): TreeNode {
  const walker: Walker = {
    entries: limits.entries ?? 200,
    chars: limits.chars ?? 2000,
    depth: limits.depth ?? 40,
    left: limits.nodes ?? 10_000,
    seen: new Map(),
  };
  return node(walker, value, '$', 0);
}

interface Walker {
  readonly entries: number;
  readonly chars: number;
  readonly depth: number;
  /** Values the tree may still show. */
  left: number;
  readonly seen: Map<object, string>;
}

const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

function node(w: Walker, value: unknown, path: string, depth: number): TreeNode {
  w.left--;
  switch (typeof value) {
    case 'string':
      return value.length > w.chars
        ? { t: 'string', v: value.slice(0, w.chars), cut: value.length }
        : { t: 'string', v: value };
    case 'number':
      return { t: 'number', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'boolean':
      return { t: 'boolean', v: value };
    case 'bigint':
      return { t: 'bigint', v: cut(value.toString(), w.chars) };
    case 'undefined':
      return { t: 'undefined' };
    case 'object':
      break;
    default:
      return { t: 'other', v: typeof value };
  }
  if (value === null) return { t: 'null' };
  const earlier = w.seen.get(value);
  if (earlier !== undefined) return { t: 'ref', path: earlier };
  if (depth > w.depth) return { t: 'other', v: 'deeper than shown' };
  w.seen.set(value, path);
  if (value instanceof Date) return { t: 'date', iso: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  if (value instanceof RegExp) return { t: 'regexp', v: cut(`/${value.source}/${value.flags}`, w.chars) };
  if (value instanceof Error)
    return { t: 'error', name: cut(value.name, w.chars), message: cut(value.message, w.chars) };
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes =
      value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { t: 'bytes', kind: value.constructor.name, length: bytes.length, hex: hex(bytes, 64) };
  }
  const container = (
    t: 'object' | 'array' | 'map' | 'set',
    size: number,
    items: Iterable<readonly [unknown, unknown]>,
    keyed: (k: unknown, i: number) => TreeNode | string,
    at: (k: unknown, i: number) => string,
  ): TreeNode => {
    const entries: Array<readonly [TreeNode | string, TreeNode]> = [];
    let i = 0;
    for (const [k, v] of items) {
      if (i >= w.entries || w.left <= 0) break;
      entries.push([keyed(k, i), node(w, v, at(k, i), depth + 1)]);
      i++;
    }
    return { t, size, entries, ...(size > entries.length ? { more: size - entries.length } : {}) };
  };
  if (Array.isArray(value)) {
    return container(
      'array',
      value.length,
      value.entries(),
      (_k, i) => String(i),
      (_k, i) => `${path}[${i}]`,
    );
  }
  if (value instanceof Map) {
    return container(
      'map',
      value.size,
      value.entries(),
      (k, i) => node(w, k, `${path}.<key ${i}>`, depth + 1),
      (_k, i) => `${path}.<${i}>`,
    );
  }
  if (value instanceof Set) {
    return container(
      'set',
      value.size,
      [...value].map((v, i) => [i, v] as const),
      (_k, i) => String(i),
      (_k, i) => `${path}.<${i}>`,
    );
  }
  const keys = Object.keys(value);
  const proto: unknown = Object.getPrototypeOf(value);
  const tree = container(
    'object',
    keys.length,
    keys.map((k) => [k, (value as Record<string, unknown>)[k]] as const),
    (k) => cut(k as string, w.chars),
    (k) => `${path}.${cut(k as string, PATH_KEY)}`,
  );
  // Decoded data is plain; a class instance a custom codec made is named so it is not mistaken for one.
  const kind =
    proto === Object.prototype || proto === null
      ? undefined
      : (proto as { constructor?: { name?: unknown } })?.constructor?.name;
  return typeof kind === 'string' && tree.t === 'object' ? { ...tree, kind } : tree;
}
