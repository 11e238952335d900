import type { AnyActorRef } from 'xstate';
import { pendingTimers, type CheckpointData } from './capture.js';
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

/**
 * Takes a checkpoint of a running actor: its persisted snapshot (see
 * {@link persistedTree}: XState's, with actor references kept by their place
 * in the tree and cycles allowed) plus its pending timers. Must be encoded before the actor processes another event:
 * the persisted context shares objects with the live one.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { captureCheckpoint } from 'xstate-checkpoint/pipeline';
 * const actor = createActor(createMachine({})).start();
 * const data = captureCheckpoint(actor);
 * ```
 */
export function captureCheckpoint(actor: AnyActorRef): CheckpointData {
  return { snapshot: persistedTree(actor), timers: pendingTimers(actor) };
}
