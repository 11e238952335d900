/**
 * `xstate-checkpoint/otel`: checkpoint events as OpenTelemetry metrics.
 * Needs `@opentelemetry/api` (an optional peer dependency) and an SDK the
 * application sets up; without one the API's no-op meter records nothing.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { checkpointMetrics } from 'xstate-checkpoint/otel';
 *
 * const onEvent = checkpointMetrics(); // once per process, shared by every actor
 * const machine = createMachine({ id: 'm' });
 * await persistActor(machine, { key: 'm-1', adapter: memoryAdapter(), onEvent });
 * ```
 * @packageDocumentation
 */
import { metrics, type Attributes, type Meter } from '@opentelemetry/api';
import type { CheckpointEvent } from '../events.js';
import type { RestoreReport } from '../restore.js';

/** Options of {@link checkpointMetrics}. */
export interface CheckpointMetricsOptions {
  /** The meter to create the instruments on. @default metrics.getMeter('xstate-checkpoint') */
  readonly meter?: Meter;
  /**
   * Add the actor key as `xstate_checkpoint.key`. Off by default: one time
   * series per key is more than most backends want. A function maps a key to
   * a low-cardinality group (`(key) => key.split(':')[0]`); returning
   * `undefined` leaves the attribute out.
   * @default false
   */
  readonly key?: boolean | ((key: string) => string | undefined);
  /** Attributes added to every measurement (e.g. `{ 'xstate_checkpoint.adapter': 'fs' }`). @default {} */
  readonly attributes?: Attributes;
}

/** How a restore ended, as the `xstate_checkpoint.restore.outcome` attribute. */
export type RestoreOutcomeName = 'restored' | 'fallback' | 'empty' | 'failed';

/**
 * `restored`: from the newest generation; `fallback`: from an older one after
 * newer ones were rejected; `empty`: nothing was stored (a new actor);
 * `failed`: every stored generation was rejected and the actor started fresh.
 *
 * @example
 * ```ts
 * import { restoreOutcome } from 'xstate-checkpoint/otel';
 * restoreOutcome({ source: 'fresh', rejected: [] }); // 'empty'
 * ```
 */
export function restoreOutcome(report: Pick<RestoreReport, 'source' | 'rejected'>): RestoreOutcomeName {
  const rejected = report.rejected.length > 0;
  if (report.source === 'checkpoint') return rejected ? 'fallback' : 'restored';
  return rejected ? 'failed' : 'empty';
}

/** The names of the instruments {@link checkpointMetrics} creates. */
export const METRIC_NAMES = {
  saves: 'xstate_checkpoint.saves',
  saveErrors: 'xstate_checkpoint.save.errors',
  saveDuration: 'xstate_checkpoint.save.duration',
  size: 'xstate_checkpoint.checkpoint.size',
  restores: 'xstate_checkpoint.restores',
  restoreDuration: 'xstate_checkpoint.restore.duration',
  quarantines: 'xstate_checkpoint.quarantines',
  pruned: 'xstate_checkpoint.pruned',
} as const;

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BYTES = [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];

/**
 * Creates the instruments once and returns an `onEvent` listener that
 * records every {@link CheckpointEvent} on them; share it between actors.
 * Counters: `xstate_checkpoint.saves`, `.save.errors` (by `error.type`, the
 * error code), `.restores` (by `xstate_checkpoint.restore.outcome`, see
 * {@link restoreOutcome}), `.quarantines` (by `error.type`), `.pruned`.
 * Histograms: `.save.duration` and `.restore.duration` (seconds),
 * `.checkpoint.size` (bytes per saved generation). Durations come from the
 * persisted actor's clock. A follower's start and a `history.rollback` also
 * emit `restore` events and are counted with their outcome.
 *
 * @example
 * ```ts
 * import { checkpointMetrics } from 'xstate-checkpoint/otel';
 * declare const persisted: { on(type: '*', fn: (e: never) => void): () => void };
 * persisted.on('*', checkpointMetrics({ key: (key) => key.split(':')[0] }));
 * ```
 */
export function checkpointMetrics(options: CheckpointMetricsOptions = {}): (event: CheckpointEvent) => void {
  const meter = options.meter ?? metrics.getMeter('xstate-checkpoint');
  const n = METRIC_NAMES;
  const saves = meter.createCounter(n.saves, { description: 'Checkpoints written', unit: '{save}' });
  const saveErrors = meter.createCounter(n.saveErrors, {
    description: 'Failed checkpoint writes, by error code (error.type)',
    unit: '{error}',
  });
  const saveDuration = meter.createHistogram(n.saveDuration, {
    description: 'Time to encode and write a checkpoint until it is durable',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const size = meter.createHistogram(n.size, {
    description: 'Bytes of each checkpoint written (the stored envelope)',
    unit: 'By',
    advice: { explicitBucketBoundaries: BYTES },
  });
  const restores = meter.createCounter(n.restores, {
    description: 'Restores, by outcome (restored, fallback, empty, failed)',
    unit: '{restore}',
  });
  const restoreDuration = meter.createHistogram(n.restoreDuration, {
    description: 'Time from persistActor to a running actor',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const quarantines = meter.createCounter(n.quarantines, {
    description: 'Generations quarantined during restore, by error code (error.type)',
    unit: '{generation}',
  });
  const pruned = meter.createCounter(n.pruned, {
    description: 'Generations removed by retention',
    unit: '{generation}',
  });

  const base = options.attributes ?? {};
  const keyOf = options.key === true ? (key: string) => key : options.key || undefined;
  const attrs = (key: string, extra?: Attributes): Attributes => {
    const group = keyOf?.(key);
    return { ...base, ...(group === undefined ? {} : { 'xstate_checkpoint.key': group }), ...extra };
  };

  return (event) => {
    switch (event.type) {
      case 'save': {
        const a = attrs(event.key);
        saves.add(1, a);
        saveDuration.record(event.durationMs / 1000, a);
        size.record(event.byteLength, a);
        return;
      }
      case 'save-error':
        saveErrors.add(1, attrs(event.key, { 'error.type': event.error.code }));
        return;
      case 'restore': {
        const a = attrs(event.key, { 'xstate_checkpoint.restore.outcome': restoreOutcome(event.report) });
        restores.add(1, a);
        restoreDuration.record(event.durationMs / 1000, a);
        return;
      }
      case 'quarantine':
        // The reason is "<code>: <message>"; only the code is bounded.
        quarantines.add(1, attrs(event.key, { 'error.type': event.reason.split(':', 1)[0]! }));
        return;
      case 'prune':
        pruned.add(event.removed.length, attrs(event.key));
        return;
      default:
        return;
    }
  };
}
