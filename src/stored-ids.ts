import type { AnyActorLogic } from 'xstate';
import type { PendingTimer } from './capture.js';
import { isInheritedName } from './actor-path.js';
import { CheckpointError } from './errors.js';

/*
 * Checks on the ids and paths a stored snapshot carries: they come from the
 * payload, and XState looks them up with plain property access (children by
 * id, history by state id), where `__proto__` or `toString` find a prototype
 * or a function instead of data. Each check throws a typed error, so restore
 * quarantines the generation and falls back to an older one.
 */

type Path = ReadonlyArray<string | number>;

const unsafe = (path: Path, detail: string) => new CheckpointError('unsafe-payload', { path, detail });
const invalid = (path: Path, detail: string) => new CheckpointError('invalid-state', { path, detail });

/**
 * True when `logic` is actor logic XState can create an actor from.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { isActorLogic } from './stored-ids.js';
 * isActorLogic(createMachine({})); // true
 * isActorLogic('fetcher'); // false
 * ```
 */
export function isActorLogic(logic: unknown): logic is AnyActorLogic {
  return (
    typeof logic === 'object' && logic !== null && typeof (logic as { transition?: unknown }).transition === 'function'
  );
}

/**
 * Checks a stored snapshot's `children` is a plain object of entries (not an
 * array, not null). Absent is fine.
 *
 * @example
 * ```ts
 * import { checkStoredChildren } from './stored-ids.js';
 * checkStoredChildren({ worker: { src: 'worker', snapshot: {} } }, ['children']);
 * ```
 */
export function checkStoredChildren(children: unknown, path: Path): void {
  if (children === undefined) return;
  if (typeof children !== 'object' || children === null || Array.isArray(children)) {
    throw invalid(path, 'the stored children are not an object of child entries');
  }
}

/**
 * Checks one stored child entry and its id: `__proto__` cannot be a child id
 * (XState would set the prototype of its children object, and a live XState
 * actor can never have such a child), the entry is an object and its
 * `systemId`, when set, is a string.
 *
 * @example
 * ```ts
 * import { checkStoredChild } from './stored-ids.js';
 * checkStoredChild('worker', { src: 'worker', snapshot: {}, systemId: 'w' }, ['children', 'worker']);
 * ```
 */
export function checkStoredChild(id: string, child: unknown, path: Path): void {
  if (id === '__proto__') throw unsafe(path, 'a stored child has the id "__proto__"');
  if (typeof child !== 'object' || child === null || Array.isArray(child)) {
    throw invalid(path, `stored child "${id}" is not an object`);
  }
  const systemId = (child as { systemId?: unknown }).systemId;
  if (systemId !== undefined && typeof systemId !== 'string') {
    throw invalid([...path, 'systemId'], `stored child "${id}" has a systemId that is not a string`);
  }
}

/**
 * Checks a stored `historyValue`: an object whose keys are state ids (none a
 * name of `Object.prototype`) and whose values are lists of `{ id }` state
 * references. Absent is fine (a snapshot written by a migration may drop it).
 *
 * @example
 * ```ts
 * import { checkStoredHistory } from './stored-ids.js';
 * checkStoredHistory({ 'm.a.hist': [{ id: 'm.a.one' }] }, ['historyValue']);
 * ```
 */
export function checkStoredHistory(historyValue: unknown, path: Path): void {
  if (historyValue === undefined) return;
  // XState always writes an object ({} when nothing is remembered); null would forget every history.
  if (typeof historyValue !== 'object' || historyValue === null || Array.isArray(historyValue)) {
    throw invalid(path, 'the stored history value is not an object');
  }
  for (const key of Object.keys(historyValue)) {
    if (isInheritedName(key)) throw unsafe([...path, key], `a history entry is keyed "${key}"`);
    const items: unknown = (historyValue as Record<string, unknown>)[key];
    const ok =
      Array.isArray(items) &&
      items.every(
        (item: unknown) =>
          typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string',
      );
    if (!ok) throw invalid([...path, key], `history entry "${key}" is not a list of state references`);
  }
}

/** The stored children entries of a snapshot, or undefined. */
function childrenOf(snapshot: unknown): object | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return undefined;
  const children = (snapshot as { children?: unknown }).children;
  return typeof children === 'object' && children !== null ? children : undefined;
}

/**
 * Checks the `source` and `target` paths of stored timers against the stored
 * snapshot's tree of children, by own properties only. A path through a child
 * that is not stored is allowed (a delayed event can outlive its receiver;
 * re-arming skips it, as XState drops an event to a stopped actor), but not
 * one through a name of `Object.prototype` (`__proto__`, `constructor`,
 * `toString`, ...) that is not a stored child: that is never an actor.
 *
 * @example
 * ```ts
 * import { checkTimerPaths } from './stored-ids.js';
 * const snapshot = { children: { worker: { src: 'worker', snapshot: {} } } };
 * checkTimerPaths(snapshot, [{ source: [], target: ['worker'], event: { type: 'PING' }, id: 't', deadline: 0 }]);
 * ```
 */
export function checkTimerPaths(snapshot: unknown, timers: readonly PendingTimer[]): void {
  timers.forEach((timer, i) => {
    for (const field of ['source', 'target'] as const) {
      let level: unknown = snapshot;
      timer[field].forEach((id, j) => {
        const children = childrenOf(level);
        if (children !== undefined && Object.hasOwn(children, id)) {
          level = (children as Record<string, { snapshot?: unknown } | undefined>)[id]?.snapshot;
          return;
        }
        if (isInheritedName(id)) {
          throw unsafe(['timers', i, field, j], `a pending timer's ${field} path names "${id}", which is not a child`);
        }
        level = undefined;
      });
    }
  });
}
