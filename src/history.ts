import { createActor, type Actor, type AnyActorLogic } from 'xstate';
import type { PendingTimer } from './capture.js';
import type { CheckpointError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { freshReport, loadGeneration, type LoadedGeneration, type RestoreReport } from './restore.js';
import { createRestoredActor } from './restored-actor.js';
import { explainRetention, type RetainedGeneration } from './retention.js';
import type { FlushInfo } from './scheduler.js';

/** What a mode lends history, rollback and clear: the same three steps in snapshot and journal mode. */
export interface HistoryHost<TLogic extends AnyActorLogic> {
  readonly options: ResolvedOptions<TLogic>;
  /** Throws `closed` (or `lock-held` for a follower) when the key cannot be written from here. */
  assertWriter(what: string): void;
  /** Starts the actor of `start: false` first, so that the actor replaced is a running one and writes are open. */
  launch(): void;
  /** The report of the running actor. */
  report(): RestoreReport;
  /** Stops the running actor, starts `next` in its place and writes its state as a new generation. */
  restartWith(
    next: Actor<TLogic>,
    timers: readonly PendingTimer[],
  ): Promise<{ info: FlushInfo; timersRestored: number }>;
  /** Removes every generation but `keep` (quarantined ones stay); failures go to `failed`. */
  pruneAllBut(keep: number, failed: (error: CheckpointError) => void): Promise<void>;
}

/**
 * `history.list`: the key's generations, newest first, with the retention rules that keep each.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { listHistory } from './history.js';
 * import { resolveOptions } from './options.js';
 * const o = resolveOptions(createMachine({ id: 'm' }), { key: 'k', adapter: memoryAdapter() });
 * await listHistory(o); // []
 * ```
 */
export async function listHistory(o: ResolvedOptions<AnyActorLogic>): Promise<RetainedGeneration[]> {
  return explainRetention(await o.adapter.list(o.key), o.retain, o.clock.now());
}

/**
 * `history.load`: one generation, verified, decoded, migrated and validated.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { loadFromHistory } from './history.js';
 * import { resolveOptions } from './options.js';
 * const o = resolveOptions(createMachine({ id: 'm' }), { key: 'k', adapter: memoryAdapter() });
 * await loadFromHistory(o, 1).catch(() => undefined); // not-found: nothing written yet
 * ```
 */
export function loadFromHistory(o: ResolvedOptions<AnyActorLogic>, seq: number): Promise<LoadedGeneration> {
  return loadGeneration(o.adapter, o.key, seq, o.codecs, o.limits, o.restore);
}

/**
 * `history.rollback`: restarts the actor from generation `seq` and writes that
 * state as a new generation (nothing is deleted), then emits `restore`.
 *
 * @example
 * ```ts
 * import type { AnyActorLogic } from 'xstate';
 * import { rollbackTo, type HistoryHost } from './history.js';
 * declare const host: HistoryHost<AnyActorLogic>;
 * const info = await rollbackTo(host, 3);
 * ```
 */
export async function rollbackTo<TLogic extends AnyActorLogic>(
  host: HistoryHost<TLogic>,
  seq: number,
): Promise<FlushInfo> {
  const o = host.options;
  host.assertWriter('roll back');
  const target = await loadFromHistory(o, seq);
  host.launch();
  const next = createRestoredActor(o.logic, target.snapshot, o.actorOptions).actor;
  const { info, timersRestored } = await host.restartWith(next, target.timers);
  o.events.emit({
    type: 'restore',
    key: o.key,
    durationMs: 0,
    report: { ...host.report(), source: 'checkpoint', seq, storedVersion: target.storedVersion, timersRestored },
  });
  return info;
}

/**
 * `clear()`: a fresh actor from the machine's initial state, written as a new
 * generation, then every older generation removed (quarantined ones stay).
 * Rejects with the first removal that failed (the fresh state is the newest then).
 *
 * @example
 * ```ts
 * import type { AnyActorLogic } from 'xstate';
 * import { clearHistory, type HistoryHost } from './history.js';
 * declare const host: HistoryHost<AnyActorLogic>;
 * const info = await clearHistory(host);
 * ```
 */
export async function clearHistory<TLogic extends AnyActorLogic>(host: HistoryHost<TLogic>): Promise<FlushInfo> {
  const o = host.options;
  host.assertWriter('clear the key');
  host.launch();
  const t0 = o.clock.now();
  const { info } = await host.restartWith(createActor(o.logic, o.actorOptions), []);
  o.events.emit({
    type: 'restore',
    key: o.key,
    durationMs: o.clock.now() - t0,
    report: freshReport(o.clock.now() - t0),
  });
  // Only after the fresh state is durable: a crash in between restores it, not the old history.
  const failures: CheckpointError[] = [];
  await host.pruneAllBut(info.seq, (error) => failures.push(error));
  if (failures.length > 0) throw failures[0]!;
  return info;
}
