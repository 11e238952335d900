/** Where two values first differ, and the two values there. */
export interface Difference {
  readonly path: Array<string | number>;
  readonly left: unknown;
  readonly right: unknown;
}

function tagOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof Map) return 'map';
  if (value instanceof Set) return 'set';
  if (value instanceof RegExp) return 'regexp';
  if (value instanceof Error) return 'error';
  if (ArrayBuffer.isView(value)) return 'bytes';
  return 'object';
}

/**
 * The first difference between two decoded data values (plain objects in any
 * key order, arrays, Date, Map, Set, RegExp, Error, typed arrays, primitives
 * with `Object.is`), or `undefined` when they are equal.
 *
 * @example
 * ```ts
 * import { firstDifference } from './diff.js';
 * firstDifference({ a: [1, 2] }, { a: [1, 3] }); // { path: ['a', 1], left: 2, right: 3 }
 * ```
 */
export function firstDifference(
  left: unknown,
  right: unknown,
  path: Array<string | number> = [],
): Difference | undefined {
  if (Object.is(left, right)) return undefined;
  const tag = tagOf(left);
  const differ = { path, left, right };
  if (tag !== tagOf(right)) return differ;
  switch (tag) {
    case 'array': {
      const a = left as unknown[];
      const b = right as unknown[];
      if (a.length !== b.length) return { path: [...path, 'length'], left: a.length, right: b.length };
      for (let i = 0; i < a.length; i++) {
        const d = firstDifference(a[i], b[i], [...path, i]);
        if (d) return d;
      }
      return undefined;
    }
    case 'date':
      return Object.is((left as Date).getTime(), (right as Date).getTime()) ? undefined : differ;
    case 'regexp':
    case 'error':
      return String(left) === String(right) ? undefined : differ;
    case 'bytes': {
      const a = new Uint8Array((left as ArrayBufferView).buffer);
      const b = new Uint8Array((right as ArrayBufferView).buffer);
      return a.length === b.length && a.every((x, i) => x === b[i]) ? undefined : differ;
    }
    case 'map': {
      const a = left as Map<unknown, unknown>;
      const b = right as Map<unknown, unknown>;
      if (a.size !== b.size) return { path: [...path, 'size'], left: a.size, right: b.size };
      for (const [k, v] of a) {
        if (!b.has(k)) return { path: [...path, String(k)], left: v, right: undefined };
        const d = firstDifference(v, b.get(k), [...path, String(k)]);
        if (d) return d;
      }
      return undefined;
    }
    case 'set': {
      const a = left as Set<unknown>;
      const b = right as Set<unknown>;
      if (a.size !== b.size) return { path: [...path, 'size'], left: a.size, right: b.size };
      return firstDifference([...a], [...b], path);
    }
    case 'object': {
      const a = left as Record<string, unknown>;
      const b = right as Record<string, unknown>;
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) {
        const d = firstDifference(a[k], b[k], [...path, k]);
        if (d) return d;
      }
      return undefined;
    }
    default:
      return differ;
  }
}
