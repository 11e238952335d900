import type { AnyActorRef } from 'xstate';

/**
 * XState keeps a few facts about an actor in private fields; the kit reads
 * them here (and, until they move here, in capture, deliveries and replay).
 */
interface ActorInternals {
  readonly _syncSnapshot?: unknown;
  readonly _parent?: AnyActorRef;
}

/** The `syncSnapshot` option a child was created with (XState persists it beside the child). */
export function syncSnapshotOf(ref: AnyActorRef): unknown {
  return (ref as unknown as ActorInternals)._syncSnapshot;
}
