import type { CheckpointError } from './errors.js';
import type { RestoreReport } from './restore.js';

/** Events a persisted actor reports, for logs, metrics and inspectors. */
export type CheckpointEvent =
  | { readonly type: 'restore'; readonly key: string; readonly report: RestoreReport; readonly durationMs: number }
  | {
      readonly type: 'save';
      readonly key: string;
      readonly seq: number;
      readonly byteLength: number;
      readonly durationMs: number;
    }
  | { readonly type: 'save-error'; readonly key: string; readonly error: CheckpointError; readonly attempt: number }
  | { readonly type: 'quarantine'; readonly key: string; readonly seq: number; readonly reason: string }
  | { readonly type: 'prune'; readonly key: string; readonly removed: number[] }
  /** A follower moved its (not started) actor to the writer's generation `seq`. */
  | { readonly type: 'follow'; readonly key: string; readonly seq: number }
  /** A follower took the lock and became the writer (a `restore` event came just before). */
  | { readonly type: 'promote'; readonly key: string; readonly epoch: number }
  | {
      readonly type: 'progress';
      readonly key: string;
      /** Path of child ids from the root to the actor reporting progress, joined by `/`. */
      readonly actorId: string;
      readonly done: number;
      readonly total?: number | undefined;
      readonly attempt?: number | undefined;
      readonly maxAttempts?: number | undefined;
      /** When the next attempt of a retrying actor is due (epoch ms), while it waits. */
      readonly retryAt?: number | undefined;
    }
  | {
      /**
       * Journal mode: replaying the journal from the previous snapshot did not
       * reproduce the live state (a machine that reads the clock, randomness or
       * outside state in a transition). Restoring before this point would
       * have come back different; the live state was written as the new snapshot.
       */
      readonly type: 'nondeterministic-replay';
      readonly key: string;
      /** The journal entries replayed: after `fromSeq`, up to and including `toSeq`. */
      readonly fromSeq: number;
      readonly toSeq: number;
      /** Where the states first differ (`['context', 'total']`, `['timers']`...). */
      readonly path: Array<string | number>;
      readonly live: unknown;
      readonly replayed: unknown;
    };

/** The `type` of a {@link CheckpointEvent}. */
export type CheckpointEventType = CheckpointEvent['type'];

/** Listener for one event type. */
export type CheckpointListener<T extends CheckpointEventType> = (event: Extract<CheckpointEvent, { type: T }>) => void;

/**
 * A tiny typed emitter. A throwing listener never breaks the actor: its error
 * is re-thrown on a later tick, where it surfaces as an uncaught error.
 *
 * @example
 * ```ts
 * import { CheckpointEmitter } from 'xstate-checkpoint/pipeline';
 * const events = new CheckpointEmitter();
 * const off = events.on('save', (e) => console.log(e.seq));
 * off();
 * ```
 */
export class CheckpointEmitter {
  private readonly listeners = new Map<string, Set<(event: CheckpointEvent) => void>>();

  constructor(private readonly sink?: (event: CheckpointEvent) => void) {}

  on<T extends CheckpointEventType | '*'>(
    type: T,
    listener: T extends CheckpointEventType ? CheckpointListener<T> : (event: CheckpointEvent) => void,
  ): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const l = listener as (event: CheckpointEvent) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  emit(event: CheckpointEvent): void {
    const call = (fn: (event: CheckpointEvent) => void) => {
      try {
        fn(event);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    };
    if (this.sink) call(this.sink);
    for (const fn of this.listeners.get(event.type) ?? []) call(fn);
    for (const fn of this.listeners.get('*') ?? []) call(fn);
  }
}
