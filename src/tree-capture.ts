import type { AnyActorLogic, AnyActorRef } from 'xstate';
import { CheckpointError } from './errors.js';
import type { PersistRefs } from './ref-scan.js';
import { syncSnapshotOf } from './xstate-internals.js';

interface TreeActor {
  readonly id: string;
  readonly src?: unknown;
  readonly systemId?: string | undefined;
  readonly logic: AnyActorLogic;
  getSnapshot(): unknown;
}

type MachineSnapshot = { children?: Record<string, TreeActor>; context?: unknown };

function isMachine(logic: unknown): boolean {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'getStateNodeById' in logic;
}

function childrenOf(snapshot: unknown): Record<string, TreeActor> {
  const children = (snapshot as MachineSnapshot | undefined)?.children;
  return typeof children === 'object' && children !== null ? children : {};
}

// XState stores the logic object itself as `src` for a child spawned from
// inline logic; restore can only find logic by name. Name it when the parent
// knows it under a name; refuse loudly otherwise (XState would drop it silently).
function nameOf(parent: AnyActorLogic, child: TreeActor, path: string[]): string {
  if (typeof child.src === 'string') return child.src;
  const actors = (parent as { implementations?: { actors?: Record<string, unknown> } }).implementations?.actors ?? {};
  const name = Object.keys(actors).find((k) => actors[k] === child.src);
  if (name === undefined) {
    throw new CheckpointError('encode', {
      path,
      detail: `child "${child.id}" was spawned from inline logic, which cannot be restored by name; register it in setup({ actors: { ... } }) and spawn it by that name`,
    });
  }
  return name;
}

/**
 * The persisted snapshot of an actor tree, as `persistedTree` describes it,
 * with the step that stores actor references given: the save path passes one
 * that loads that code only for a tree holding some (`persistRefsOnDemand`).
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { persistTree } from './tree-capture.js';
 * import { persistRefsOnDemand } from './ref-scan.js';
 * const actor = createActor(createMachine({ context: { n: 1 } })).start();
 * persistTree(actor, actor.getSnapshot(), persistRefsOnDemand);
 * ```
 */
export function persistTree(root: AnyActorRef, snapshot: unknown, storeRefs: PersistRefs): unknown {
  const paths = new Map<unknown, string[]>();
  const index = (actor: unknown, snap: unknown, path: string[]) => {
    paths.set(actor, path);
    const children = childrenOf(snap);
    for (const id of Object.keys(children)) {
      const child = children[id]!;
      index(child, child.getSnapshot(), [...path, id]);
    }
  };
  index(root, snapshot, []);
  const pathOf = (ref: AnyActorRef) => paths.get(ref);

  const persist = (actor: TreeActor, snap: unknown, path: string[]): unknown => {
    const logic = actor.logic;
    if (!isMachine(logic)) {
      const persisted = logic.getPersistedSnapshot ? logic.getPersistedSnapshot(snap) : snap;
      return storeRefs(persisted, pathOf);
    }
    const s = snap as MachineSnapshot;
    // XState's own walk would recurse into the context (forever, for a cycle) and the children.
    const base = logic.getPersistedSnapshot({ ...(s as object), context: undefined, children: {} }) as object;
    const out = storeRefs({ ...base, context: s.context }, pathOf) as Record<string, unknown>;
    const children: Record<string, unknown> = {};
    const live = childrenOf(snap);
    for (const id of Object.keys(live)) {
      const child = live[id]!;
      const at = [...path, 'children', id];
      Object.defineProperty(children, id, {
        value: {
          snapshot: persist(child, child.getSnapshot(), [...at, 'snapshot']),
          src: nameOf(logic, child, at),
          systemId: child.systemId,
          syncSnapshot: syncSnapshotOf(child as unknown as AnyActorRef),
        },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    out['children'] = children;
    return out;
  };
  return persist(root as unknown as TreeActor, snapshot, []);
}
