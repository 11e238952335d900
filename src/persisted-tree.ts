import type { AnyActorRef } from 'xstate';
import { persistRefs } from './refs.js';
import { persistTree } from './tree-capture.js';

/**
 * The persisted snapshot of an actor tree, as XState's `getPersistedSnapshot`
 * builds it, with three differences: actor references anywhere in a context
 * (Map, Set, cycles included) are stored with their place in the tree (see
 * `StoredActorRef`), a cyclic context is kept as it is (XState recurses
 * forever), and a child spawned from a registered logic object is stored
 * under its name in both XState builds. `snapshot` defaults to the root's own
 * (journal replay passes the snapshot it computed).
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { persistedTree } from 'xstate-checkpoint/pipeline';
 * const actor = createActor(createMachine({ context: { n: 1 } })).start();
 * persistedTree(actor); // { status: 'active', value: {}, context: { n: 1 }, children: {}, ... }
 * ```
 */

export function persistedTree(root: AnyActorRef, snapshot: unknown = root.getSnapshot()): unknown {
  return persistTree(root, snapshot, persistRefs);
}
