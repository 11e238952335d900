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
export { crc32 } from './checksum.js';
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { DEFAULT_LIMITS, taggedJsonCodec } from './codec/index.js';
export type { Codec, DecodeLimits } from './codec/index.js';
export { superjsonCodec } from './superjsonCodec.js';
export type { SuperJsonLike } from './superjsonCodec.js';
export {
  COMPRESSED_ENVELOPE_FORMAT,
  ENVELOPE_FORMAT,
  encodeEnvelope,
  openEnvelope,
  readEnvelopeHeader,
} from './envelope.js';
export { COMPRESSION, checkCompress, inflatePayload, sealEnvelope } from './compression.js';
export type { CompressOptions } from './compression.js';
export type { EnvelopeFields, EnvelopeHeader, OpenedEnvelope } from './envelope.js';
export { CheckpointError, isCheckpointError, toCheckpointError } from './errors.js';
export type { CheckpointErrorCode, CheckpointErrorDetails } from './errors.js';
export { MAX_KEY_LENGTH, checkKey } from './keys.js';
export { captureCheckpoint, pendingTimers, rearmTimers } from './capture.js';
export { persistedTree } from './persisted-tree.js';
export type { DroppedRef, StoredActorRef } from './refs.js';
export type { CheckpointData, PendingTimer } from './capture.js';
export { CheckpointEmitter } from './events.js';
export type { CheckpointEvent, CheckpointEventType, CheckpointListener } from './events.js';
export { checkpointInspection, isCheckpointInspectionEvent } from './inspect.js';
export type {
  CheckpointInspection,
  CheckpointInspectionEventObject,
  CheckpointInspectionOptions,
  InspectObserver,
} from './inspect.js';
export { watchGenerations } from './follow.js';
export type { WatchGenerationsOptions } from './follow.js';
export { installLifecycleHooks } from './lifecycle.js';
export type { AsyncDisposableLike, EventTargetLike, Flusher, LifecycleEnv, ProcessLike } from './lifecycle.js';
export { checkMigrations, migrateSnapshot } from './migrate.js';
export type { MigrationResult, Migrations } from './migrate.js';
export { persistActor } from './persist.js';
export { createRestoredActor } from './restored-actor.js';
export type { RestoredActor } from './restored-actor.js';
export { persistJournaled } from './journal.js';
export type { JournalRestoreInfo, JournalRestoreReport, JournaledActor } from './journal.js';
export type { JournalOptions } from './journal-options.js';
export { FRAME_HEADER, encodeJournalFrames, scanJournalFrames } from './journal-frame.js';
export { checkJournalOrder } from './journal-order.js';
export type { FrameDamage, FrameScan } from './journal-frame.js';
export { decodeJournaledEvent, encodeJournaledEvent } from './journal-entry.js';
export type { JournaledEvent } from './journal-entry.js';
export { observeDeliveries } from './deliveries.js';
export type { DeliveryListener } from './deliveries.js';
export { Replay } from './replay.js';
export type { ReplayOutcome } from './replay.js';
export type { PersistOptions, PersistedActor, PersistedHistory } from './persist.js';
export type { FollowOptions } from './follow.js';
export {
  checkIdentity,
  decodeCheckpoint,
  loadGeneration,
  prepareCheckpoint,
  readNewestOf,
  restoreNewest,
} from './restore.js';
export type {
  DecodedCheckpoint,
  LoadedGeneration,
  NewestFound,
  OnRestoreError,
  PreparedCheckpoint,
  RejectedGeneration,
  RestoreContext,
  RestoreNewestOptions,
  RestoreOutcome,
  RestoreReport,
} from './restore.js';
export { checkRetention, explainRetention, pruneGenerations, selectPrunable } from './retention.js';
export type { RetainedGeneration, RetentionOptions, RetentionRule } from './retention.js';
export { WriteScheduler } from './scheduler.js';
export type { DebounceOptions, FlushInfo, WriteSchedulerOptions } from './scheduler.js';
export { validateContext, validateSnapshot } from './validate.js';
export type { StandardResult, StandardSchema } from './validate.js';
export { fromResumable, readProgress, resumeFrom, watchProgress } from './resumable.js';
export type {
  AnyActorSystem,
  ProgressInfo,
  ProgressReport,
  ResumableCursor,
  ResumableEvent,
  ResumableItemArgs,
  ResumableLogic,
  ResumableOptions,
  ResumablePage,
  ResumableSnapshot,
  ResumeCapable,
} from './resumable.js';
export { resolveRetryPolicy, retryDelay, withRetry } from './retry.js';
export type { ResolvedRetryPolicy, RetryEvent, RetryFailure, RetryPolicy, RetrySnapshot } from './retry.js';
