import type { Actor, AnyActorLogic } from 'xstate';
import type { CheckpointEvent, CheckpointEventType, CheckpointListener } from './events.js';
import type { AsyncDisposableLike } from './lifecycle.js';
import type { LoadedGeneration, RestoreReport } from './restore.js';
import type { RetainedGeneration } from './retention.js';
import type { FlushInfo } from './scheduler.js';

/** History and time travel over a key's generations. */
export interface PersistedHistory {
  /** Generations, newest first, each with the retention rules that keep it (`keptBy`). */
  list(): Promise<RetainedGeneration[]>;
  /** One generation, verified, decoded, migrated and validated. */
  load(seq: number): Promise<LoadedGeneration>;
  /**
   * Restarts the actor from generation `seq` and writes that state as a new
   * generation (nothing is deleted). `persisted.actor` is a new actor afterwards.
   */
  rollback(seq: number): Promise<FlushInfo>;
}

/** A running actor whose state is checkpointed (what `persistActor` resolves with). */
export interface PersistedActor<TLogic extends AnyActorLogic> extends AsyncDisposableLike {
  /** The live XState actor, usable everywhere an actor is (replaced by `history.rollback`). */
  readonly actor: Actor<TLogic>;
  readonly key: string;
  /** `writer` checkpoints the actor; `follower` mirrors another writer (see `follow`). */
  readonly role: 'writer' | 'follower';
  /** How the actor was restored (for a follower: the generation it mirrors). */
  readonly restored: RestoreReport;
  readonly history: PersistedHistory;
  /** Writes pending changes; resolves when the newest snapshot is durable in the adapter. */
  flush(): Promise<FlushInfo | undefined>;
  /**
   * Starts the actor of `persistActor(logic, { start: false })`: XState's
   * `start()`, then its pending timers re-armed and writes opened.
   * Idempotent; a no-op when it already runs.
   */
  start(): void;
  /** Flushes, stops the actor, releases the lock and the exit hooks. Does not dispose the adapter. `await using` calls it. */
  close(): Promise<void>;
  /**
   * Starts over: stops the actor, starts a fresh one from the machine's
   * initial state (`persisted.actor` is a new actor afterwards, with a
   * `restore` event of source `fresh`), writes it as a new generation and
   * then removes every older generation of the key. Quarantined generations
   * are kept (they are evidence; remove them with the CLI). Resolves with the
   * fresh generation's write; rejects when a removal failed (the fresh state
   * is already the newest then). Not available to followers or in journal mode.
   */
  clear(): Promise<FlushInfo>;
  /** Subscribes to one event type (or `'*'`); returns the unsubscribe function. */
  on<T extends CheckpointEventType | '*'>(
    type: T,
    listener: T extends CheckpointEventType ? CheckpointListener<T> : (event: CheckpointEvent) => void,
  ): () => void;
}
