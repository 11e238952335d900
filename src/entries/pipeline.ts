/**
 * `xstate-checkpoint/pipeline`: the steps `persistActor` is made of, one by
 * one, for tools and tests that need a single step (a CLI that decodes a
 * stored generation, a test that captures a snapshot): capture, restore
 * (decode, identity, migrate, validate, create the actor), retention, the
 * write scheduler, lifecycle hooks and the event emitter. Apps do not need it.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { captureCheckpoint } from 'xstate-checkpoint/pipeline';
 *
 * const actor = createActor(createMachine({ id: 'm' })).start();
 * const { snapshot, timers } = captureCheckpoint(actor);
 * ```
 * @packageDocumentation
 */
export { pendingTimers, rearmTimers } from '../capture.js';
export { captureCheckpoint } from '../persisted-tree.js';
export type { CheckpointData, PendingTimer } from '../capture.js';
export { persistedTree } from '../persisted-tree.js';
export { createRestoredActor } from '../restored-actor.js';
export type { RestoredActor } from '../restored-actor.js';
export { checkIdentity, decodeCheckpoint, loadGeneration, prepareCheckpoint, restoreNewest } from '../restore.js';
export type {
  DecodedCheckpoint,
  LoadedGeneration,
  OnRestoreError,
  PreparedCheckpoint,
  RejectedGeneration,
  RestoreContext,
  RestoreNewestOptions,
  RestoreOutcome,
  RestoreReport,
} from '../restore.js';
export { checkMigrations, migrateSnapshot } from '../migrate.js';
export type { MigrationResult, Migrations } from '../migrate.js';
export { validateContext, type StandardResult, type StandardSchema } from '../schema.js';
export { validateSnapshot } from '../validate.js';
export { checkRetention, explainRetention, pruneGenerations, selectPrunable } from '../retention.js';
export type { RetainedGeneration, RetentionOptions, RetentionRule } from '../retention.js';
export { WriteScheduler } from '../scheduler.js';
export type { DebounceOptions, FlushInfo, WriteSchedulerOptions } from '../scheduler.js';
export { installLifecycleHooks } from '../lifecycle.js';
export type { AsyncDisposableLike, EventTargetLike, Flusher, LifecycleEnv, ProcessLike } from '../lifecycle.js';
export { CheckpointEmitter } from '../events.js';
export type { CheckpointEvent, CheckpointEventType, CheckpointListener } from '../events.js';
