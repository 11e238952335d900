import { createActor, type Actor, type ActorOptions, type AnyActorLogic } from 'xstate';
import { CheckpointError } from './errors.js';

/**
 * Creates (does not start) an actor from a persisted snapshot. XState turns a
 * snapshot it cannot restore into an error snapshot instead of throwing; this
 * throws `invalid-state` then, unless the stored snapshot was an error one.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { createRestoredActor } from 'xstate-checkpoint';
 * const machine = createMachine({ id: 'm', initial: 'a', states: { a: {} } });
 * const actor = createRestoredActor(machine, { status: 'active', value: 'a', context: {}, children: {} }, {});
 * ```
 */
export function createRestoredActor<TLogic extends AnyActorLogic>(
  logic: TLogic,
  snapshot: unknown,
  options: ActorOptions<TLogic>,
): Actor<TLogic> {
  const actor = createActor(logic, { ...options, snapshot } as ActorOptions<TLogic>);
  const snap = actor.getSnapshot() as { status?: unknown; error?: unknown };
  if (snap.status === 'error' && (snapshot as { status?: unknown }).status !== 'error') {
    throw new CheckpointError('invalid-state', {
      cause: snap.error,
      detail: 'XState could not restore the snapshot',
    });
  }
  return actor;
}
