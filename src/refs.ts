import type { AnyActorRef } from 'xstate';
import { CheckpointError } from './errors.js';
import { anyReachable, containerKind, isLiveRef, isStoredRef } from './ref-scan.js';

/**
 * An actor reference as a stored snapshot holds it: XState's own marker
 * (`{ xstate$$type: 1, id }`, what `actor.toJSON()` returns) plus where the
 * actor sat in the tree when it was saved. `path` is the child ids from the
 * root (`[]` = the root); `null` when the actor was not in the tree (stopped,
 * or from another system). Without `path` (written by XState or an older
 * kit), the reference is resolved as XState does: a child of the actor that
 * holds it, else that actor or one of its ancestors with the same id.
 */
export interface StoredActorRef {
  readonly xstate$$type: 1;
  readonly id: string;
  readonly path?: readonly string[] | null;
}

/** A stored actor reference whose actor does not exist after restore: it became `undefined`. */
export interface DroppedRef {
  /** Where it was in the stored snapshot, e.g. `['children', 'c', 'snapshot', 'context', 'parentRef']`. */
  readonly path: ReadonlyArray<string | number>;
  /** The id of the actor it referred to. */
  readonly id: string;
}

type Container = Record<string, unknown> | unknown[] | Map<unknown, unknown> | Set<unknown>;

function setOwn(target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  // Plain assignment to "__proto__" would set the prototype instead of an own key.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else (target as Record<string | number, unknown>)[key] = value;
}

/** What a `copyGraph` leaf returns for a value it leaves to the copy. */
const PASS: unique symbol = Symbol('pass');

/** A path as a linked list: built per value only when asked for. */
interface Step {
  readonly up: Step | undefined;
  readonly key: string | number;
}

function pathOfStep(step: Step | undefined, base: ReadonlyArray<string | number>): Array<string | number> {
  const out: Array<string | number> = [];
  for (let s = step; s; s = s.up) out.push(s.key);
  return [...base, ...out.reverse()];
}

type Leaf = (value: unknown, holder: Container, key: string | number, where: () => Array<string | number>) => unknown;

/**
 * Copies the containers of `root` (sharing and cycles kept). `leaf` sees every
 * value first, with the copy that will hold it: it returns the value to put
 * there instead, or {@link PASS} to copy (or keep) the value as it is.
 */
function copyGraph(root: unknown, leaf: Leaf, base: ReadonlyArray<string | number> = []): unknown {
  const copies = new Map<object, Container>();
  const fill = (value: unknown, holder: Container, key: string | number, up: Step | undefined): unknown => {
    const step: Step = { up, key };
    const replaced = leaf(value, holder, key, () => pathOfStep(step, base));
    return replaced === PASS ? copy(value, step) : replaced;
  };
  const copy = (value: unknown, step: Step | undefined): unknown => {
    const kind = containerKind(value);
    if (kind === undefined) return value;
    const done = copies.get(value as object);
    if (done) return done;
    if (kind === 'array') {
      const src = value as unknown[];
      const out = src.slice();
      copies.set(src, out);
      for (let i = 0; i < src.length; i++) if (i in src) out[i] = fill(src[i], out, i, step);
      return out;
    }
    if (kind === 'object') {
      const src = value as Record<string, unknown>;
      const out = Object.create(Object.getPrototypeOf(src) as object | null) as Record<string, unknown>;
      copies.set(src, out);
      for (const key of Object.keys(src)) setOwn(out, key, fill(src[key], out, key, step));
      return out;
    }
    if (kind === 'map') {
      const out = new Map<unknown, unknown>();
      copies.set(value as object, out);
      let i = 0;
      for (const [k, v] of value as Map<unknown, unknown>) {
        const at = typeof k === 'string' || typeof k === 'number' ? k : i;
        out.set(fill(k, out, i, step), fill(v, out, at, step));
        i++;
      }
      return out;
    }
    const out = new Set<unknown>();
    copies.set(value as object, out);
    let i = 0;
    for (const item of value as Set<unknown>) out.add(fill(item, out, i++, step));
    return out;
  };
  return copy(root, undefined);
}

/**
 * Replaces every live actor reference reachable in `value` (plain objects,
 * arrays, Map keys and values, Set members, cycles included) with a
 * {@link StoredActorRef} naming its place in the tree (`pathOf`). Returns
 * `value` itself when it holds none, else a copy of its containers.
 */
export function persistRefs(value: unknown, pathOf: (ref: AnyActorRef) => readonly string[] | undefined): unknown {
  if (!anyReachable(value, 'live')) return value;
  const marker = (ref: AnyActorRef): StoredActorRef => ({ xstate$$type: 1, id: ref.id, path: pathOf(ref) ?? null });
  if (isLiveRef(value)) return marker(value);
  return copyGraph(value, (v) => (isLiveRef(v) ? marker(v) : PASS), []);
}

/** A stored reference taken out of a snapshot by {@link detachRefs}, waiting for its actor. */
interface Detached {
  /** Absolute path of the actor, `null` when gone, or the holder's path for an XState-style marker. */
  readonly target: readonly string[] | null;
  readonly legacy: boolean;
  readonly id: string;
  /** Where it was in the stored snapshot. */
  readonly at: ReadonlyArray<string | number>;
  /** The container it was in, and its key there (objects, arrays) or the stored marker itself (Map, Set). */
  readonly holder: Container;
  readonly key: string | number;
  readonly marker: object;
}

/** What {@link detachRefs} hands to {@link attachRefs}. */
export interface DetachedRefs {
  readonly refs: readonly Detached[];
}

function readStoredPath(
  marker: Record<string, unknown>,
  at: ReadonlyArray<string | number>,
): string[] | null | undefined {
  if (!Object.hasOwn(marker, 'path')) return undefined;
  const p = marker['path'];
  if (p === null) return null;
  if (Array.isArray(p) && p.every((x) => typeof x === 'string')) return p;
  throw new CheckpointError('invalid-state', {
    path: at.map(String),
    detail: 'an actor reference has a malformed `path` (expected an array of child ids or null)',
  });
}

/**
 * Takes the stored actor references out of a persisted snapshot before XState
 * sees it (XState would resolve them among the holder's own children only,
 * and not at all inside Map or Set). Returns the snapshot to create the actor
 * from (its parts holding references copied, the input untouched) and what
 * {@link attachRefs} needs once the actor tree exists.
 */
export function detachRefs(snapshot: unknown): { snapshot: unknown; detached: DetachedRefs } {
  const refs: Detached[] = [];
  const visit = (snap: unknown, actorPath: readonly string[], at: ReadonlyArray<string | number>): unknown => {
    if (containerKind(snap) !== 'object') return snap;
    const s = snap as Record<string, unknown>;
    const children =
      Object.hasOwn(s, 'children') && containerKind(s['children']) === 'object'
        ? (s['children'] as Record<string, unknown>)
        : undefined;
    let revivedChildren = children;
    if (children) {
      for (const id of Object.keys(children)) {
        const entry = children[id];
        if (containerKind(entry) !== 'object' || !Object.hasOwn(entry as object, 'snapshot')) continue;
        const childSnap = (entry as Record<string, unknown>)['snapshot'];
        const revived = visit(childSnap, [...actorPath, id], [...at, 'children', id, 'snapshot']);
        if (revived === childSnap) continue;
        if (revivedChildren === children) revivedChildren = { ...children };
        setOwn(revivedChildren!, id, { ...(entry as Record<string, unknown>), snapshot: revived });
      }
    }
    let rest: Record<string, unknown> = s;
    if (children) {
      const { children: _children, ...others } = s;
      rest = others;
    }
    let out = s;
    if (anyReachable(rest, 'stored')) {
      out = copyGraph(
        rest,
        (v, holder, key, whereOf) => {
          if (!isStoredRef(v)) return PASS;
          const where = whereOf();
          const stored = readStoredPath(v, where);
          const legacy = stored === undefined;
          refs.push({ target: legacy ? actorPath : stored, legacy, id: v.id, at: where, holder, key, marker: v });
          // Objects and arrays get the live ref at that key; Map and Set are rebuilt in order.
          return holder instanceof Map || holder instanceof Set ? v : undefined;
        },
        at,
      ) as Record<string, unknown>;
      if (children) setOwn(out, 'children', revivedChildren);
    } else if (revivedChildren !== children) {
      out = { ...s };
      setOwn(out, 'children', revivedChildren);
    }
    return out;
  };
  return { snapshot: visit(snapshot, [], []), detached: { refs } };
}

function indexTree(root: AnyActorRef): Map<string, AnyActorRef> {
  const index = new Map<string, AnyActorRef>();
  const walk = (ref: AnyActorRef, path: string[]) => {
    index.set(JSON.stringify(path), ref);
    const children = (ref.getSnapshot() as { children?: unknown } | undefined)?.children;
    if (containerKind(children) !== 'object') return;
    const c = children as Record<string, unknown>;
    for (const id of Object.keys(c)) if (isLiveRef(c[id])) walk(c[id], [...path, id]);
  };
  walk(root, []);
  return index;
}

/**
 * Puts the live actors back where {@link detachRefs} took stored references
 * out, in the tree of `root` (created, not yet started): a reference to an
 * actor of the tree (the root, a parent, a sibling, any descendant) becomes
 * that actor; one whose actor is gone becomes `undefined` (as in XState) and
 * is returned.
 */
export function attachRefs(root: AnyActorRef, detached: DetachedRefs): DroppedRef[] {
  if (detached.refs.length === 0) return [];
  const index = indexTree(root);
  const at = (path: readonly string[]) => index.get(JSON.stringify(path));
  const resolve = (r: Detached): AnyActorRef | undefined => {
    if (r.target === null) return undefined;
    if (!r.legacy) return at(r.target);
    // XState's rule (a child of the holder), then the holder or an ancestor with that id (a `self` passed down).
    const child = at([...r.target, r.id]);
    if (child) return child;
    for (let n = r.target.length; n >= 0; n--) {
      const candidate = at(r.target.slice(0, n));
      if (candidate?.id === r.id) return candidate;
    }
    return undefined;
  };
  const dropped: DroppedRef[] = [];
  const rebuilt = new Map<Map<unknown, unknown> | Set<unknown>, Map<unknown, unknown>>();
  for (const r of detached.refs) {
    const live = resolve(r);
    if (live === undefined) dropped.push({ path: r.at, id: r.id });
    const holder = r.holder;
    if (holder instanceof Map || holder instanceof Set) {
      let swaps = rebuilt.get(holder);
      if (!swaps) rebuilt.set(holder, (swaps = new Map()));
      // The stored marker object is the placeholder to swap, as a key, a value or a member.
      swaps.set(r.marker, live);
    } else {
      setOwn(holder, r.key, live);
    }
  }
  for (const [holder, swaps] of rebuilt) {
    const swap = (v: unknown) => (typeof v === 'object' && v !== null && swaps.has(v) ? swaps.get(v) : v);
    if (holder instanceof Map) {
      const entries = [...holder];
      holder.clear();
      for (const [k, v] of entries) holder.set(swap(k), swap(v));
    } else {
      const items = [...holder];
      holder.clear();
      for (const item of items) holder.add(swap(item));
    }
  }
  return dropped;
}
