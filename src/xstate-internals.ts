import type { ActorSystem, AnyActorRef, EventObject } from 'xstate';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- XState does not export its own AnyActorSystem
type AnyActorSystem = ActorSystem<any>;

/*
 * Every read or write of XState's private fields lives in this file, so an
 * XState upgrade changes one module. Written against XState 5.19-5.33 (both
 * the production and the `development` build); test/core/xstate-internals.test.ts
 * fails with the field's name when one of them moves or changes shape.
 *
 * Relied on:
 * - `actor._parent`: the parent actor (undefined for the root of a system).
 * - `actor._snapshot`: the snapshot `getSnapshot()` returns (replay steps logic by hand and stores the result there).
 * - `actor._syncSnapshot`: the `syncSnapshot` option a child was created with.
 * - `system._snapshot._scheduledEvents`: delayed events not yet delivered, keyed by source session and id,
 *   each with `source`, `target`, `event`, `delay`, `id` and `startedAt` (ms since 1970, from the system's clock).
 * - `system.scheduler.schedule(source, target, event, delay, id)`: arms a delayed event.
 * - `system._relay(source, target, event)`: every delivery inside the system passes through it.
 * - `system._set(systemId, ref)` / `system._unregister(ref)`: the systemId registry.
 * - `system._clock`: the clock the system was created with (`createActor(logic, { clock })`).
 */

/** A delayed event as XState keeps it in `system._snapshot._scheduledEvents`. */
export interface ScheduledEvent {
  readonly source: AnyActorRef;
  readonly target: AnyActorRef;
  readonly event: EventObject;
  readonly delay: number;
  readonly id: string;
  readonly startedAt: number;
}

/** How XState delivers an event inside a system (`system._relay`). */
export type Relay = (source: AnyActorRef | undefined, target: AnyActorRef, event: EventObject) => void;

interface ActorInternals {
  _snapshot?: unknown;
  readonly _syncSnapshot?: unknown;
  readonly _parent?: AnyActorRef;
  readonly logic?: unknown;
}

interface SystemInternals {
  _relay?: Relay;
  _set?: (systemId: string, ref: unknown) => void;
  _unregister?: (ref: unknown) => void;
  readonly _snapshot?: { readonly _scheduledEvents?: Record<string, ScheduledEvent> };
  readonly scheduler?: {
    schedule(source: AnyActorRef, target: AnyActorRef, event: EventObject, delay: number, id?: string): void;
  };
  get(systemId: string): unknown;
}

const actorOf = (ref: object) => ref as ActorInternals;
const systemOf = (system: object) => system as SystemInternals;

/** The actor that spawned or invoked `ref`; undefined for the root of its system. */
export function parentOf(ref: object): AnyActorRef | undefined {
  return actorOf(ref)._parent;
}

/**
 * The path of child ids from `root` down to `ref`: `[]` when `ref` is `root`,
 * undefined when `ref` is missing or outside `root`'s tree. Without `root`,
 * the path runs from the root of `ref`'s system (its topmost ancestor), so it
 * is never undefined for an actor.
 */
export function childPath(ref: AnyActorRef | undefined, root?: AnyActorRef): string[] | undefined {
  if (ref === undefined) return undefined;
  const path: string[] = [];
  let current: AnyActorRef | undefined = ref;
  if (root === undefined) {
    for (let parent = parentOf(current); parent !== undefined; parent = parentOf(current)) {
      path.push(current.id);
      current = parent;
    }
    return path.reverse();
  }
  while (current && current !== root) {
    path.push(current.id);
    current = parentOf(current);
  }
  return current === root ? path.reverse() : undefined;
}

/**
 * The logic an actor runs (XState keeps it on the actor as `logic`; the
 * `ActorRef` type does not list it). Undefined when the field is missing.
 */
export function logicOf(ref: object): Record<string, unknown> | undefined {
  const logic = actorOf(ref).logic;
  return typeof logic === 'object' && logic !== null ? (logic as Record<string, unknown>) : undefined;
}

/** The `syncSnapshot` option a child was created with (XState persists it beside the child). */
export function syncSnapshotOf(ref: AnyActorRef): unknown {
  return actorOf(ref)._syncSnapshot;
}

/** Replaces the snapshot an actor reports, for logic stepped outside the actor (journal replay). */
export function setSnapshotOf(ref: object, snapshot: unknown): void {
  actorOf(ref)._snapshot = snapshot;
}

/** The delayed events pending in `system` (none when XState keeps them elsewhere). */
export function scheduledEventsOf(system: object): Readonly<Record<string, ScheduledEvent>> | undefined {
  return systemOf(system)._snapshot?._scheduledEvents;
}

/** Arms a delayed event in `system` under XState's id; false when the system has no scheduler. */
export function scheduleIn(
  system: object,
  source: AnyActorRef,
  target: AnyActorRef,
  event: EventObject,
  delay: number,
  id: string,
): boolean {
  const scheduler = systemOf(system).scheduler;
  if (!scheduler) return false;
  scheduler.schedule(source, target, event, delay, id);
  return true;
}

/** True when `system` can arm delayed events (see {@link scheduleIn}). */
export function canSchedule(system: object): boolean {
  return systemOf(system).scheduler !== undefined;
}

/**
 * Wraps the system's delivery function so `before` sees every delivery first;
 * returns the function that puts the original back (if nobody replaced it
 * since), or undefined when the system has no `_relay`.
 */
export function wrapRelay(system: object, before: Relay): (() => void) | undefined {
  const s = systemOf(system);
  const relay = s._relay;
  if (typeof relay !== 'function') return undefined;
  const wrapped: Relay = (source, target, event) => {
    before(source, target, event);
    relay.call(s, source, target, event);
  };
  s._relay = wrapped;
  return () => {
    if (s._relay === wrapped) s._relay = relay;
  };
}

/**
 * Makes a systemId registration replace an older actor under the same name
 * instead of failing (replay never stops children for real). Does nothing when
 * the registry functions are missing.
 */
export function replaceOnReRegister(system: object): void {
  const s = systemOf(system);
  const set = s._set;
  const unregister = s._unregister;
  if (typeof set !== 'function' || typeof unregister !== 'function') return;
  s._set = (systemId, ref) => {
    const existing = s.get(systemId);
    if (existing !== undefined && existing !== ref) unregister.call(s, existing);
    set.call(s, systemId, ref);
  };
}

/** The clock the system was created with. */
export function clockOf(system: AnyActorSystem): AnyActorSystem['_clock'] {
  return system._clock;
}
