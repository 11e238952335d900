import { createActor, type Actor, type ActorOptions, type AnyActorLogic, type AnyActorRef } from 'xstate';
import { CheckpointError } from './errors.js';
import type { attachRefs, detachRefs, DroppedRef } from './refs.js';
import { logicOf } from './xstate-internals.js';

/** What `createRestoredActor` returns. */
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

/** The steps of refs.ts that take stored actor references out of a snapshot and put live ones back. */
export interface RefSteps {
  readonly detachRefs: typeof detachRefs;
  readonly attachRefs: typeof attachRefs;
}

/**
 * `createRestoredActor` (see there) with the reference steps given, or none
 * for a snapshot that holds no stored actor reference (the restore path loads
 * refs.ts only for one that does, see `anyReachable`).
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { restoredActorWith } from './actor-from-snapshot.js';
 * const machine = createMachine({ id: 'm', initial: 'a', states: { a: {} } });
 * const { actor } = restoredActorWith(machine, { status: 'active', value: 'a', context: {}, children: {} }, {}, undefined);
 * ```
 */
export function restoredActorWith<TLogic extends AnyActorLogic>(
  logic: TLogic,
  snapshot: unknown,
  options: ActorOptions<TLogic>,
  refs: RefSteps | undefined,
): RestoredActor<TLogic> {
  const { snapshot: detachedSnapshot, detached } = refs ? refs.detachRefs(snapshot) : { snapshot, detached: undefined };
  const actor = createActor(logic, { ...options, snapshot: detachedSnapshot } as ActorOptions<TLogic>);
  const snap = actor.getSnapshot() as { status?: unknown; error?: unknown };
  if (snap.status === 'error' && (snapshot as { status?: unknown }).status !== 'error') {
    throw new CheckpointError('invalid-state', {
      cause: snap.error,
      detail: 'XState could not restore the snapshot',
    });
  }
  const droppedRefs = refs && detached ? refs.attachRefs(actor, detached) : [];
  return { actor, droppedRefs, invocationsRestarted: restarts(actor) };
}
