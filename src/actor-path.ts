import type { AnyActorRef } from 'xstate';

/**
 * True for a name that a plain object answers without having it: `__proto__`,
 * `constructor`, `toString` and the other members of `Object.prototype`. A
 * lookup by such a name finds a function or a prototype, never data.
 *
 * @example
 * ```ts
 * import { isInheritedName } from './actor-path.js';
 * isInheritedName('toString'); // true
 * isInheritedName('worker'); // false
 * ```
 */
export function isInheritedName(name: string): boolean {
  return name === '__proto__' || name in Object.prototype;
}

/** True when `value` looks like an actor (what XState keeps in `children`). */
export function isActorRef(value: unknown): value is AnyActorRef {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['getSnapshot'] === 'function' && typeof v['send'] === 'function';
}

/**
 * The child actor stored under `id` in a snapshot's `children`, by an own
 * property only, and only when it is an actor; otherwise `undefined`. `id`
 * comes from stored bytes: `children['toString']` would be a function.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { ownChild } from './actor-path.js';
 * const actor = createActor(createMachine({})).start();
 * ownChild(actor.getSnapshot().children, 'toString'); // undefined
 * ```
 */
export function ownChild(children: unknown, id: unknown): AnyActorRef | undefined {
  if (typeof id !== 'string' || typeof children !== 'object' || children === null) return undefined;
  if (!Object.hasOwn(children, id)) return undefined;
  const child: unknown = (children as Record<string, unknown>)[id];
  return isActorRef(child) ? child : undefined;
}

/**
 * The actor at `path` (child ids from `root`, `[]` is the root) in a live
 * actor tree, or `undefined` when some id on the way is not a child actor
 * (stopped since, or never one).
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { resolveActorPath } from './actor-path.js';
 * const actor = createActor(createMachine({})).start();
 * resolveActorPath(actor, []); // actor
 * resolveActorPath(actor, ['__proto__']); // undefined
 * ```
 */
export function resolveActorPath(root: AnyActorRef, path: readonly unknown[]): AnyActorRef | undefined {
  let current: AnyActorRef | undefined = root;
  for (const id of path) {
    const snapshot = current.getSnapshot() as { children?: unknown } | undefined;
    current = ownChild(snapshot?.children, id);
    if (current === undefined) return undefined;
  }
  return current;
}
