import type { AnyActorRef, Subscription } from 'xstate';
import { CheckpointError } from './errors.js';
import type { CheckpointEmitter } from './events.js';
import { readProgress, sameProgress, type ProgressInfo } from './progress.js';
import { childPath, logicOf } from './xstate-internals.js';

/** What the tree tracker tells about changes: the write scheduler's two entry points. */
export interface TriggerTarget {
  /** A snapshot changed somewhere in the tree: a write is due. */
  notify(): void;
  /** The root was stopped from outside: nothing more may be written. */
  halt(error: CheckpointError): void;
}

/** Subscriptions to every actor of one running tree. */
export interface TreeTracker {
  /** Subscribes to `ref` and, as they appear, to every actor below it. */
  track(ref: AnyActorRef): void;
  /** Ends every subscription (before the tree is stopped or replaced). */
  untrackAll(): void;
}

/**
 * Tracks the actor tree under `root()`: every snapshot of any actor in it
 * schedules a write, and durable work (`fromResumable`, `withRetry`) reports a
 * `progress` event whenever its progress changes by value. The root's
 * subscribe does not fire when only a child changes (XState 5), so every
 * actor in the tree gets its own subscription.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { CheckpointEmitter } from './events.js';
 * import { trackTree } from './trigger.js';
 * const actor = createActor(createMachine({}));
 * const tracker = trackTree('cart', () => actor, new CheckpointEmitter(undefined), {
 *   notify: () => undefined,
 *   halt: () => undefined,
 * });
 * tracker.track(actor);
 * actor.start();
 * tracker.untrackAll();
 * ```
 */
export function trackTree(
  key: string,
  root: () => AnyActorRef,
  events: CheckpointEmitter,
  target: TriggerTarget,
): TreeTracker {
  const subscriptions = new Map<AnyActorRef, { sub: Subscription; children: unknown }>();
  const track = (ref: AnyActorRef) => {
    if (subscriptions.has(ref)) return;
    const entry = {
      sub: undefined as unknown as Subscription,
      children: undefined as unknown,
      progress: undefined as ProgressInfo | undefined,
    };
    subscriptions.set(ref, entry);
    // A machine's snapshot has no `progress`: its actors (most of the tree, the root on
    // every event) skip the look, so that per event only the change is counted.
    const reports = !isMachineLogic(logicOf(ref));
    const onSnapshot = (snapshot: { children?: Record<string, AnyActorRef> } | undefined) => {
      target.notify();
      // Durable work (fromResumable, withRetry) reports `progress` in its snapshot; compared by
      // value, as watchProgress does, since every snapshot of such a child carries a new object.
      const progress = reports ? readProgress(snapshot) : undefined;
      if (progress !== undefined && (entry.progress === undefined || !sameProgress(entry.progress, progress))) {
        entry.progress = progress;
        emitProgress(key, events, childPath(ref, root()), progress);
      }
      const children = snapshot?.children;
      if (children !== entry.children) {
        entry.children = children;
        if (children) for (const id in children) track(children[id]!);
      }
    };
    const untrack = () => {
      const status = (ref.getSnapshot() as { status?: string } | undefined)?.status;
      // Stopped from outside (not by reaching a final state): nothing more may be written.
      if (ref === root() && status === 'stopped')
        target.halt(new CheckpointError('closed', { key, detail: 'the actor was stopped' }));
      else target.notify();
      subscriptions.get(ref)?.sub.unsubscribe();
      subscriptions.delete(ref);
    };
    entry.sub = ref.subscribe({ next: onSnapshot, error: untrack, complete: untrack });
    onSnapshot(ref.getSnapshot());
  };
  const untrackAll = () => {
    for (const { sub } of subscriptions.values()) sub.unsubscribe();
    subscriptions.clear();
  };
  return { track, untrackAll };
}

/** Whether `logic` is a state machine (its snapshots are XState's machine snapshots). */
function isMachineLogic(logic: unknown): boolean {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'getStateNodeById' in logic;
}

/** Reports one progress change; `path` runs from the root (only actors of the tracked tree are tracked). */
function emitProgress(key: string, events: CheckpointEmitter, path: string[] | undefined, p: ProgressInfo): void {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  events.emit({
    type: 'progress',
    key,
    // XState's generated invoke ids contain dots; `/` keeps the path readable (as watchProgress).
    actorId: (path ?? []).join('/'),
    done: p.done,
    total: num(p.total),
    attempt: num(p.attempt),
    maxAttempts: num(p.maxAttempts),
    retryAt: num(p.retryAt),
  });
}
