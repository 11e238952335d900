import { createActor, type Actor, type ActorOptions, type AnyActorLogic, type AnyActorRef } from 'xstate';
import { CheckpointError } from './errors.js';
import { attachRefs, detachRefs, type DroppedRef } from './refs.js';
import { logicOf } from './xstate-internals.js';

/** What {@link createRestoredActor} returns. */
export interface RestoredActor<TLogic extends AnyActorLogic> {
  /** Created, not started. */
  readonly actor: Actor<TLogic>;
  /** Stored actor references whose actor no longer exists; each became `undefined`. */
  readonly droppedRefs: DroppedRef[];
  /**
   * Whether the tree holds an active promise, callback or observable actor,
   * which XState runs again from its beginning when the actor starts.
   */
  readonly invocationsRestarted: boolean;
}

/** Actors XState restarts from their beginning: active ones whose logic has a `start` and no state nodes. */
function restarts(ref: AnyActorRef): boolean {
  const logic = logicOf(ref);
  const snap = ref.getSnapshot() as { status?: unknown; children?: Record<string, AnyActorRef> } | undefined;
  if (logic && typeof logic['start'] === 'function' && !('getStateNodeById' in logic) && snap?.status === 'active')
    return true;
  const children = snap?.children;
  if (typeof children !== 'object' || children === null) return false;
  return Object.keys(children).some((id) => restarts(children[id]!));
}

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
  const { snapshot: detachedSnapshot, detached } = detachRefs(snapshot);
  const actor = createActor(logic, { ...options, snapshot: detachedSnapshot } as ActorOptions<TLogic>);
  const snap = actor.getSnapshot() as { status?: unknown; error?: unknown };
  if (snap.status === 'error' && (snapshot as { status?: unknown }).status !== 'error') {
    throw new CheckpointError('invalid-state', {
      cause: snap.error,
      detail: 'XState could not restore the snapshot',
    });
  }
  const droppedRefs = attachRefs(actor, detached);
  return { actor, droppedRefs, invocationsRestarted: restarts(actor) };
}
