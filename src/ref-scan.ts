import type { AnyActorRef } from 'xstate';
import { onDemand } from './on-demand.js';

/*
 * Whether a value holds actor references, the one look every save and restore
 * takes. What is done with them (refs.ts) loads only for a tree that holds some.
 */

const ObjectProto = Object.prototype;
const ArrayProto = Array.prototype;
const MapProto = Map.prototype;
const SetProto = Set.prototype;

/**
 * What the codecs keep as structure: plain objects, arrays, Map and Set (exact
 * prototypes); anything else is a leaf, as it is for the codec.
 *
 * @example
 * ```ts
 * import { containerKind } from './ref-scan.js';
 * containerKind(new Map()); // 'map'
 * containerKind(new Date()); // undefined
 * ```
 */
export function containerKind(value: unknown): 'object' | 'array' | 'map' | 'set' | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === ObjectProto || proto === null) return 'object';
  if (proto === ArrayProto) return 'array';
  if (proto === MapProto) return 'map';
  if (proto === SetProto) return 'set';
  return undefined;
}

/**
 * True for a live actor, in the shape XState's own persistContext recognises.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { isLiveRef } from './ref-scan.js';
 * isLiveRef(createActor(createMachine({}))); // true
 * ```
 */
export function isLiveRef(value: unknown): value is AnyActorRef {
  return typeof value === 'object' && value !== null && 'sessionId' in value && 'send' in value && 'ref' in value;
}

/**
 * True for a stored actor reference (`{ xstate$$type: 1, id }`, own properties).
 *
 * @example
 * ```ts
 * import { isStoredRef } from './ref-scan.js';
 * isStoredRef({ xstate$$type: 1, id: 'child' }); // true
 * ```
 */
export function isStoredRef(value: unknown): value is Record<string, unknown> & { id: string } {
  if (containerKind(value) !== 'object') return false;
  const v = value as Record<string, unknown>;
  return Object.hasOwn(v, 'xstate$$type') && v['xstate$$type'] === 1 && typeof v['id'] === 'string';
}

/**
 * Whether a live actor (`live`) or a stored marker (`stored`) is reachable
 * through containers. Iterative, each container once (cycles), one prototype
 * read per object: it runs over the whole context on every save and restore.
 *
 * @example
 * ```ts
 * import { anyReachable } from './ref-scan.js';
 * anyReachable({ list: [{ xstate$$type: 1, id: 'c' }] }, 'stored'); // true
 * ```
 */
export function anyReachable(root: unknown, kind: 'live' | 'stored'): boolean {
  if (typeof root !== 'object' || root === null) return false;
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === ObjectProto || proto === null) {
      const o = value as Record<string, unknown>;
      if (kind === 'stored' && o['xstate$$type'] === 1 && isStoredRef(o)) return true;
      if (seen.has(o)) continue;
      seen.add(o);
      for (const key in o) {
        const item = o[key];
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
    } else if (proto === ArrayProto) {
      if (seen.has(value)) continue;
      seen.add(value);
      const a = value as unknown[];
      for (let i = 0; i < a.length; i++) {
        const item = a[i];
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
    } else if (proto === MapProto) {
      if (seen.has(value)) continue;
      seen.add(value);
      for (const [k, v] of value as Map<unknown, unknown>) stack.push(k, v);
    } else if (proto === SetProto) {
      if (seen.has(value)) continue;
      seen.add(value);
      for (const item of value as Set<unknown>) stack.push(item);
    } else if (kind === 'live' && isLiveRef(value)) {
      return true;
    }
  }
  return false;
}

/** Stores the live actor references reachable in `value` by their place in the tree (`pathOf`). */
export type PersistRefs = (value: unknown, pathOf: (ref: AnyActorRef) => readonly string[] | undefined) => unknown;

/** The code that stores and revives actor references (refs.ts), loaded for a tree that holds some. */
export const refsCode = /* @__PURE__ */ onDemand('the actor-reference code', () => import('./refs.js'));

/**
 * `persistRefs` for the save path: the value itself when it holds no live
 * actor; else refs.ts's copy, once that is loaded (before, it asks for it:
 * see `withParts`).
 *
 * @example
 * ```ts
 * import { persistRefsOnDemand } from './ref-scan.js';
 * persistRefsOnDemand({ n: 1 }, () => undefined); // { n: 1 }, nothing loaded
 * ```
 */
export const persistRefsOnDemand: PersistRefs = (value, pathOf) =>
  anyReachable(value, 'live') ? refsCode.need().persistRefs(value, pathOf) : value;
