import type { ActorRefLike, AnyEventObject, InspectionEvent, Observer } from 'xstate';
import type { CheckpointEvent } from './events.js';

/** What `createActor`'s `inspect` option accepts (and `@statelyai/inspect`'s `inspector.inspect` is). */
export type InspectObserver = Observer<InspectionEvent> | ((inspectionEvent: InspectionEvent) => void);

/** A checkpoint event as it appears in the inspection stream: the `event` of an `@xstate.event`. */
export type CheckpointInspectionEventObject = AnyEventObject & {
  readonly type: `@xstate-checkpoint.${CheckpointEvent['type']}`;
  readonly key: string;
};

/** Options of {@link checkpointInspection}. */
export interface CheckpointInspectionOptions {
  /** Also called with every checkpoint event (your own `onEvent`). @default none */
  readonly onEvent?: (event: CheckpointEvent) => void;
  /** Which checkpoint events go into the stream. @default every type */
  readonly types?: ReadonlyArray<CheckpointEvent['type']>;
}

/** The two options to spread into `persistActor`. */
export interface CheckpointInspection {
  /** XState's inspection events, passed on to your observer, plus the checkpoint events. */
  readonly inspect: (inspectionEvent: InspectionEvent) => void;
  /** Turns checkpoint events into inspection events. */
  readonly onEvent: (event: CheckpointEvent) => void;
}

/** Event data an inspector can serialize: errors become their code and message. */
function eventObject(event: CheckpointEvent): CheckpointInspectionEventObject {
  const type = `@xstate-checkpoint.${event.type}` as const;
  switch (event.type) {
    case 'save-error':
      return {
        type,
        key: event.key,
        attempt: event.attempt,
        code: event.error.code,
        message: event.error.message,
      };
    case 'restore': {
      const { report } = event;
      return {
        type,
        key: event.key,
        durationMs: event.durationMs,
        source: report.source,
        seq: report.seq,
        storedVersion: report.storedVersion,
        migrationsApplied: [...report.migrationsApplied],
        rejected: report.rejected.map((r) => ({ seq: r.seq, code: r.code, quarantined: r.quarantined })),
        quarantined: [...report.quarantined],
        timersRestored: report.timersRestored,
      };
    }
    default:
      return { ...event, type };
  }
}

/**
 * Puts a persisted actor's checkpoint events (restore, save, quarantine,
 * save errors, pruning, progress) into XState's inspection stream, next to its
 * own events. Each arrives as an `@xstate.event` addressed to the root actor
 * whose `event` is `{ type: '@xstate-checkpoint.<type>', key, ... }`, so any
 * inspector shows it in the actor's event log: `@statelyai/inspect` (the
 * Stately inspector), or your own observer. Returns the `inspect` and
 * `onEvent` options for `persistActor`; no change to the actor is needed.
 * Checkpoint events that happen before the root actor exists (quarantines
 * during restore) are held back and delivered right after it is created.
 * One instance per persisted actor.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { checkpointInspection, persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const persisted = await persistActor(createMachine({ id: 'm' }), {
 *   key: 'm-1',
 *   adapter: memoryAdapter(),
 *   ...checkpointInspection((event) => console.log(event.type)), // or an inspector's `inspect`
 * });
 * ```
 */
export function checkpointInspection(
  inspect?: InspectObserver,
  options: CheckpointInspectionOptions = {},
): CheckpointInspection {
  const forward = (event: InspectionEvent) => {
    if (typeof inspect === 'function') inspect(event);
    else inspect?.next?.(event);
  };
  const types = options.types === undefined ? undefined : new Set(options.types);
  let root: ActorRefLike | undefined;
  let held: CheckpointEvent[] = [];

  const send = (event: CheckpointEvent) => {
    const inspection = {
      type: '@xstate.event',
      rootId: (root as { sessionId: string }).sessionId,
      actorRef: root!,
      sourceRef: undefined,
      event: eventObject(event),
    } as InspectionEvent;
    forward(inspection);
  };

  return {
    inspect(event) {
      const ref = event.actorRef as ActorRefLike & { sessionId?: string };
      // The root of the persisted actor: a rollback creates a new one, which takes over.
      if (event.type === '@xstate.actor' && ref.sessionId === event.rootId) {
        root = ref;
        forward(event);
        const pending = held;
        held = [];
        for (const e of pending) send(e);
        return;
      }
      forward(event);
    },
    onEvent(event) {
      options.onEvent?.(event);
      if (types && !types.has(event.type)) return;
      if (root === undefined) held.push(event);
      else send(event);
    },
  };
}

/**
 * True for the inspection events {@link checkpointInspection} adds.
 *
 * @example
 * ```ts
 * import { isCheckpointInspectionEvent } from 'xstate-checkpoint';
 * import type { InspectionEvent } from 'xstate';
 * const log = (e: InspectionEvent) => {
 *   if (isCheckpointInspectionEvent(e)) console.log(e.event.type, e.event.key);
 * };
 * ```
 */
export function isCheckpointInspectionEvent(
  event: InspectionEvent,
): event is Extract<InspectionEvent, { type: '@xstate.event' }> & { event: CheckpointInspectionEventObject } {
  return event.type === '@xstate.event' && event.event.type.startsWith('@xstate-checkpoint.');
}
