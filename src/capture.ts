import type { AnyActorRef, EventObject } from 'xstate';
import { resolveActorPath } from './actor-path.js';
import { persistTree } from './tree-capture.js';
import type { PersistRefs } from './ref-scan.js';
import { canSchedule, childPath, scheduledEventsOf, scheduleIn } from './xstate-internals.js';

/**
 * A delayed event that was pending when the checkpoint was taken (an `after`
 * transition, a delayed `raise` or `sendTo`). XState does not persist these;
 * the kit does, with an absolute deadline.
 */
export interface PendingTimer {
  /** Path of child ids from the root actor to the actor that scheduled it (`[]` = root). */
  readonly source: string[];
  /** Path of child ids from the root actor to the receiver. */
  readonly target: string[];
  readonly event: EventObject;
  /** XState's id for the delayed event (used by `cancel`). */
  readonly id: string;
  /** Wall-clock deadline, ms since 1970. */
  readonly deadline: number;
}

/** What one checkpoint holds: XState's persisted snapshot plus the kit's timers. */
export interface CheckpointData {
  readonly snapshot: unknown;
  readonly timers: PendingTimer[];
}

/**
 * Lists the delayed events pending in the actor's system with absolute
 * deadlines. Events between actors outside the root's tree are skipped.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { pendingTimers } from 'xstate-checkpoint';
 * const actor = createActor(createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } })).start();
 * pendingTimers(actor); // [{ source: [], target: [], event: { type: 'xstate.after.1000...' }, deadline, id }]
 * ```
 */
export function pendingTimers(root: AnyActorRef): PendingTimer[] {
  const scheduled = scheduledEventsOf(root.system);
  if (!scheduled) return [];
  const out: PendingTimer[] = [];
  for (const key in scheduled) {
    const s = scheduled[key]!;
    const source = childPath(s.source, root);
    const target = childPath(s.target, root);
    // A receiver stopped since (or replaced under its id) would drop the event: nothing to restore.
    if (!source || !target || resolveActorPath(root, target) !== s.target) continue;
    out.push({ source, target, event: s.event, id: s.id, deadline: s.startedAt + s.delay });
  }
  return out;
}

/**
 * `captureCheckpoint` (see persisted-tree.ts) with the step that stores actor
 * references given (see `persistTree`).
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { captureWith } from './capture.js';
 * import { persistRefsOnDemand } from './ref-scan.js';
 * const data = captureWith(createActor(createMachine({})).start(), persistRefsOnDemand);
 * ```
 */
export function captureWith(actor: AnyActorRef, storeRefs: PersistRefs): CheckpointData {
  return { snapshot: persistTree(actor, actor.getSnapshot(), storeRefs), timers: pendingTimers(actor) };
}

/**
 * Schedules restored timers in a started actor's system: the remaining time,
 * or at once when the deadline passed while the process was down. Call after
 * `actor.start()` (before it, XState would deliver the event twice). Returns
 * how many were armed; timers whose actors no longer exist are skipped.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import type { PendingTimer } from 'xstate-checkpoint';
 * import { rearmTimers } from 'xstate-checkpoint/pipeline';
 * declare const timers: PendingTimer[];
 * const actor = createActor(createMachine({})).start();
 * rearmTimers(actor, timers, Date.now());
 * ```
 */
export function rearmTimers(root: AnyActorRef, timers: readonly PendingTimer[], now: number): number {
  if (!canSchedule(root.system)) return 0;
  let armed = 0;
  for (const t of timers) {
    const source = resolveActorPath(root, t.source);
    const target = resolveActorPath(root, t.target);
    if (!source || !target) continue;
    scheduleIn(root.system, source, target, t.event, Math.max(0, t.deadline - now), t.id);
    armed++;
  }
  return armed;
}
