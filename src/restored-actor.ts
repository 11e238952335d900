import type { ActorOptions, AnyActorLogic } from 'xstate';
import { restoredActorWith, type RestoredActor } from './actor-from-snapshot.js';
import { attachRefs, detachRefs } from './refs.js';

export type { RestoredActor } from './actor-from-snapshot.js';

/**
 * Creates (does not start) an actor from a persisted snapshot: the one step
 * "create actor, revive references" of every restore. Stored actor
 * references come back as the live actors of the new tree (the root, a
 * parent, a sibling, any descendant), also inside Map and Set; a reference to
 * an actor that no longer exists becomes `undefined` and is listed in
 * `droppedRefs`. XState turns a snapshot it cannot restore into an error
 * snapshot instead of throwing; this throws `invalid-state` then, unless the
 * stored snapshot was an error one.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { createRestoredActor } from 'xstate-checkpoint/pipeline';
 * const machine = createMachine({ id: 'm', initial: 'a', states: { a: {} } });
 * const { actor } = createRestoredActor(machine, { status: 'active', value: 'a', context: {}, children: {} }, {});
 * actor.start();
 * ```
 */
export function createRestoredActor<TLogic extends AnyActorLogic>(
  logic: TLogic,
  snapshot: unknown,
  options: ActorOptions<TLogic>,
): RestoredActor<TLogic> {
  return restoredActorWith(logic, snapshot, options, { detachRefs, attachRefs });
}
