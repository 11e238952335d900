/**
 * `xstate-checkpoint`: what an app calls. {@link persistActor} makes an actor
 * durable; the errors, codecs, clock and a few checks around it are here too.
 * The rest lives on named subpaths, so an app loads only what it uses:
 * `xstate-checkpoint/journal` (journal mode), `xstate-checkpoint/durable`
 * (resumable work and retries), `xstate-checkpoint/pipeline` (the save and
 * restore steps one by one, for tools) and `xstate-checkpoint/adapter-kit`
 * (for adapter authors). See `docs/adapters.md`.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { isCheckpointError, persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const machine = createMachine({ id: 'order' });
 * try {
 *   const { actor } = await persistActor(machine, { key: 'order-1', adapter: memoryAdapter() });
 *   actor.send({ type: 'PAY' }); // running: persistActor started it (pass start: false to start it yourself)
 * } catch (error) {
 *   if (isCheckpointError(error)) console.error(error.code, error.message);
 * }
 * ```
 * @packageDocumentation
 */
export type {
  AcquireOptions,
  AdapterCapabilities,
  CheckpointAdapter,
  CheckpointRecord,
  GenerationInfo,
  GenerationNotice,
  JournalDamage,
  JournalEntry,
  JournalReadResult,
  JournalStore,
  Lease,
  NewestRead,
  QuarantineInfo,
} from './adapter.js';
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { DEFAULT_LIMITS, taggedJsonCodec } from './codec/index.js';
export type { Codec, DecodeLimits } from './codec/index.js';
export { superjsonCodec } from './superjsonCodec.js';
export type { SuperJsonLike } from './superjsonCodec.js';
export type { CompressOptions } from './compression.js';
export { CheckpointError, isCheckpointError } from './errors.js';
export type { CheckpointErrorCode, CheckpointErrorDetails } from './errors.js';
export { MAX_KEY_LENGTH, checkKey } from './keys.js';
export { pendingTimers } from './capture.js';
export type { CheckpointData, PendingTimer } from './capture.js';
export type { DroppedRef, StoredActorRef } from './refs.js';
export type { CheckpointEvent, CheckpointEventType, CheckpointListener } from './events.js';
export { checkpointInspection, isCheckpointInspectionEvent } from './inspect.js';
export type {
  CheckpointInspection,
  CheckpointInspectionEventObject,
  CheckpointInspectionOptions,
  InspectObserver,
} from './inspect.js';
export { watchGenerations } from './follow.js';
export type { FollowOptions, WatchGenerationsOptions } from './follow.js';
export type { AsyncDisposableLike, EventTargetLike, LifecycleEnv, ProcessLike } from './lifecycle.js';
export { checkMigrations, migrateSnapshot } from './migrate.js';
export type { MigrationResult, Migrations } from './migrate.js';
export { persistActor } from './persist.js';
export type { PersistOptions, PersistedActor, PersistedHistory, RequiredInput } from './persist.js';
export { persistAll } from './restore-many.js';
export type { PersistAllOptions, PersistAllResult } from './restore-many.js';
export type { JournalOptions } from './journal-options.js';
export type { LoadedGeneration, OnRestoreError, RejectedGeneration, RestoreReport } from './restore.js';
export { checkRetention, explainRetention } from './retention.js';
export type { RetainedGeneration, RetentionOptions, RetentionRule } from './retention.js';
export type { DebounceOptions, FlushInfo } from './scheduler.js';
export type { StandardResult, StandardSchema } from './schema.js';
