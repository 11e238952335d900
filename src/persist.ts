import { createActor, type Actor, type AnyActorLogic } from 'xstate';
import type { Lease } from './adapter.js';
import { rearmTimers, type PendingTimer } from './capture.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import type { HistoryHost } from './history.js';
import { historyCode, lazyHistory } from './history-handle.js';
import { withAsyncDispose, type AsyncDisposableLike } from './async-dispose.js';
import { hookedProcess, installHooksWith } from './exit-hooks.js';
import { onDemand } from './on-demand.js';
import {
  prepareOptions,
  restoreRequest,
  type PersistOptions,
  type RequiredInput,
  type ResolvedOptions,
} from './options.js';
import type { PersistedActor } from './persisted-actor.js';
import { freshReport, restoreNewest, type RestoreReport } from './restore.js';
import { announceRestore, buildRestoreReport } from './restore-report.js';
import { anyReachable, refsCode } from './ref-scan.js';
import { restoredActorWith } from './actor-from-snapshot.js';
import { GenerationWriter } from './save.js';
import { WriteScheduler, type FlushInfo } from './scheduler.js';
import { trackTree, type TreeTracker } from './trigger.js';

export type { PersistOptions, RequiredInput } from './options.js';
export type { PersistedActor, PersistedHistory } from './persisted-actor.js';

const noop = (): undefined => undefined;
const processExitHooks = /* @__PURE__ */ onDemand('the process exit hooks', () => import('./process-hooks.js'));
const journalMode = /* @__PURE__ */ onDemand('journal mode', () => import('./journal.js'));
const followMode = /* @__PURE__ */ onDemand('follow mode', () => import('./follow.js'));

/**
 * Restores an actor from its newest valid checkpoint (or starts it fresh),
 * starts it (unless `start: false`), and keeps checkpointing it: debounced writes with a max wait,
 * one in flight, verified restore with migrations and validation, pending
 * delayed events re-armed at their original deadlines. Journal mode
 * (`journal`) and follow mode (`follow`) load their code only when asked for.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const machine = createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { T: 'on' } }, on: {} } });
 * const persisted = await persistActor(machine, { key: 'toggle-1', adapter: memoryAdapter() });
 * persisted.actor.send({ type: 'T' });
 * await persisted.flush(); // durable now
 * await persisted.close();
 * ```
 */
export async function persistActor<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic> & RequiredInput<TLogic>,
): Promise<PersistedActor<TLogic>> {
  const o = await prepareOptions(logic, options);
  if (o.journal) return (await journalMode.load()).runJournaled(o);
  const session = new SnapshotSession(o);
  const lease = await takeLock(o);
  if (lease === 'held') await session.follow();
  else await session.restore(lease);
  return session.handle();
}

/** The key's lease with `lock`; `'held'` when another writer has it and `follow` is on. */
async function takeLock(o: ResolvedOptions<AnyActorLogic>): Promise<Lease | 'held' | undefined> {
  if (!o.lock) return undefined;
  try {
    return await o.adapter.acquire!(o.key, o.lock);
  } catch (error) {
    if (!o.follow || toCheckpointError(error, 'io').code !== 'lock-held') throw error;
    return 'held';
  }
}

/**
 * Snapshot mode's running state: the actor, its restore report, the write
 * scheduler and the writer session, and whether it writes or follows.
 */
class SnapshotSession<TLogic extends AnyActorLogic> implements HistoryHost<TLogic> {
  current: Actor<TLogic> = undefined as unknown as Actor<TLogic>;
  restoreReport: RestoreReport = freshReport(0);
  role: 'writer' | 'follower' = 'writer';
  lease: Lease | undefined;
  private writer: GenerationWriter | undefined;
  closed = false;
  private launched = false;
  // With `start: false` the writer's actor waits for `persisted.start()` (or its own
  // `start()`): timers are armed, writes open and the `restore` event goes out then.
  private startWanted: boolean;
  private pendingTimers: readonly PendingTimer[] = [];
  private needsWrite = false;
  private removeHooks: () => void = noop;
  private stopWatching: () => void = noop;
  readonly started: number;
  private readonly scheduler: WriteScheduler;
  private readonly tree: TreeTracker;

  constructor(readonly options: ResolvedOptions<TLogic>) {
    const o = options;
    this.started = o.clock.now();
    this.startWanted = o.start;
    this.scheduler = new WriteScheduler({
      clock: o.clock,
      wait: o.debounce.wait,
      maxWait: o.debounce.maxWait,
      write: () => this.write(),
      onError: (error, attempt) => {
        const e = toCheckpointError(error, 'io', { key: o.key, adapter: o.adapter.name });
        // Another writer owns the key now: writing on would overwrite it logically.
        if (e.code === 'fenced' || e.code === 'conflict') this.scheduler.halt(e);
        o.events.emit({ type: 'save-error', key: o.key, error: e, attempt });
        o.onError(e);
      },
    });
    this.tree = trackTree(o.key, () => this.current, o.events, this.scheduler);
  }

  report(): RestoreReport {
    return this.restoreReport;
  }

  /** One generation of the running actor: capture, encode, write, prune, `save` event. */
  private async write(): Promise<FlushInfo> {
    const { clock, events, key } = this.options;
    const t0 = clock.now();
    const writer = this.writer!;
    const record = await writer.write(await writer.snapshot(this.current));
    await writer.prune(record.seq);
    const info = { seq: record.seq, byteLength: record.byteLength, durationMs: clock.now() - t0 };
    events.emit({ type: 'save', key, ...info });
    return info;
  }

  /** Restores the newest valid generation as the writer, under `lease` when locked. */
  async restore(lease: Lease | undefined, since = this.started): Promise<void> {
    const o = this.options;
    this.lease = lease;
    try {
      // Node's signal hooks load where there is a Node process, before launch() installs them.
      if (o.flushOnExit && hookedProcess(o.lifecycle)) await processExitHooks.load();
      const outcome = await restoreNewest({
        ...restoreRequest(o),
        accept: async ({ data }) => {
          // The reference code loads only for a snapshot that holds some (a failed load is `io`: not quarantined).
          const refs = anyReachable(data.snapshot, 'stored') ? await refsCode.load() : undefined;
          return restoredActorWith(o.logic, data.snapshot, o.actorOptions, refs);
        },
      });
      this.writer = this.newWriter(outcome.newestSeq + 1, lease?.epoch ?? outcome.newestEpoch, outcome.generations);
      const accepted = outcome.accepted;
      this.current = accepted?.value.actor ?? createActor(o.logic, o.actorOptions);
      this.role = 'writer';
      this.pendingTimers = accepted?.prepared.data.timers ?? [];
      this.restoreReport = buildRestoreReport(outcome, accepted?.value, o.clock.now() - since);
      this.needsWrite =
        !accepted || this.restoreReport.migrationsApplied.length > 0 || this.restoreReport.rejected.length > 0;
      await announceRestore(o.key, o.adapter.name, this.restoreReport, o.notices);
      if (!this.startWanted) return this.launchOnOwnStart(this.current);
      this.launch();
    } catch (error) {
      await this.lease?.release().catch(noop);
      throw error;
    }
  }

  private newWriter(nextSeq: number, epoch: number, known: GenerationWriter['known']): GenerationWriter {
    const o = this.options;
    return new GenerationWriter(
      {
        ...o,
        machine: o.restore.machineId,
        version: o.restore.version,
        onPruned: (removed) => o.events.emit({ type: 'prune', key: o.key, removed }),
      },
      { nextSeq, epoch, known: known?.slice() },
    );
  }

  /** Starts the restored actor: subscriptions, XState's start, timers, writes open, `restore` event. */
  launch(): void {
    const o = this.options;
    if (this.launched || this.role !== 'writer' || this.closed) return;
    this.launched = true;
    delete (this.current as { start?: unknown }).start; // the launchOnOwnStart hook, if any
    let timersRestored: number;
    try {
      timersRestored = this.startActor(this.current, this.pendingTimers);
    } catch (error) {
      // A start that fails keeps nothing: no subscription, no running actor (the caller releases the lock).
      this.tree.untrackAll();
      this.current.stop();
      this.closed = true;
      throw toCheckpointError(error, 'invalid-state', { key: o.key, adapter: o.adapter.name });
    }
    this.restoreReport = { ...this.restoreReport, timersRestored };
    // Fresh, migrated or fallen-back state is written as a new generation at once
    // (the stored originals stay until retention drops them). A clean restore
    // writes nothing: a copy of the newest generation would push an older,
    // different one out of retention on every restart.
    if (this.needsWrite) this.scheduler.notify();
    else this.scheduler.settle();
    this.scheduler.open();
    if (o.flushOnExit) {
      const processHooks = processExitHooks.loaded?.processFlusher;
      this.removeHooks = installHooksWith(() => this.scheduler.flush(), o.lifecycle, processHooks);
    }
    o.events.emit({
      type: 'restore',
      key: o.key,
      report: this.restoreReport,
      durationMs: this.restoreReport.durationMs,
    });
  }

  private startActor(actor: Actor<TLogic>, timers: readonly PendingTimer[]): number {
    this.tree.track(actor);
    actor.start();
    return rearmTimers(actor, timers, this.options.clock.now());
  }

  /** `persisted.start()`: launches, and lets the lock go when the start fails. */
  start(): void {
    this.startWanted = true;
    try {
      this.launch();
    } catch (error) {
      void this.lease?.release().catch(noop);
      throw error;
    }
  }

  private launchOnOwnStart(actor: Actor<TLogic>): void {
    // The XState habit (attach listeners, then `actor.start()`) must arm the timers too.
    Object.defineProperty(actor, 'start', {
      configurable: true,
      writable: true,
      value: () => {
        delete (actor as { start?: unknown }).start;
        if (actor === this.current) this.start();
        else actor.start();
        return actor;
      },
    });
  }

  /** Follow mode (`follow.ts`, loaded only here): mirrors the writer, takes over when the lock frees. */
  async follow(): Promise<void> {
    this.role = 'follower';
    this.stopWatching = await (await followMode.load()).followAsSession(this);
  }

  /** A follower took the lock: it restores as the writer and stops its mirror. */
  async promote(): Promise<void> {
    const o = this.options;
    const follower = this.current;
    try {
      await this.restore(this.lease, o.clock.now());
    } catch (error) {
      this.lease = undefined;
      o.onError(toCheckpointError(error, 'restore-failed', { key: o.key, adapter: o.adapter.name }));
      return;
    }
    follower.stop();
    // close() ran while restoring: it stopped the mirror, not this writer.
    if (this.closed) return this.shutDown().catch(noop);
    o.events.emit({ type: 'promote', key: o.key, epoch: this.writer!.epoch });
  }

  assertWriter(what: string): void {
    const key = this.options.key;
    if (this.closed) throw new CheckpointError('closed', { key });
    if (this.role !== 'writer') {
      throw new CheckpointError('lock-held', { key, detail: `a follower cannot ${what}: the writer owns the key` });
    }
  }

  async restartWith(next: Actor<TLogic>, timers: readonly PendingTimer[]) {
    await this.scheduler.flush().catch(noop);
    this.tree.untrackAll();
    this.current.stop();
    this.current = next;
    const timersRestored = this.startActor(next, timers);
    this.scheduler.notify();
    return { info: (await this.scheduler.flush())!, timersRestored };
  }

  async pruneAllBut(keep: number, failed: (error: CheckpointError) => void): Promise<void> {
    const writer = this.writer!;
    writer.known ??= (await this.options.adapter.list(this.options.key)).slice();
    await writer.prune(keep, { latest: 1 }, failed);
  }

  /** Flushes what is pending, stops the actor and lets go of the hooks and the lock. */
  private async shutDown(): Promise<void> {
    let failure: unknown;
    try {
      await this.scheduler.close();
    } catch (error) {
      failure = error;
    }
    this.tree.untrackAll();
    this.current.stop();
    this.removeHooks();
    await this.lease?.release().catch(noop);
    if (failure !== undefined) throw failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    // A writer never started writes nothing: its actor holds no re-armed timers yet.
    if (!this.launched) {
      this.scheduler.halt(new CheckpointError('closed', { key: this.options.key, detail: 'closed before start()' }));
    }
    await this.shutDown();
  }

  /** The object `persistActor` resolves with. */
  handle(): PersistedActor<TLogic> {
    const o = this.options;
    const historyApi = lazyHistory(this);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below read the live session
    const session = this;
    return withAsyncDispose<Omit<PersistedActor<TLogic>, keyof AsyncDisposableLike>>({
      get actor() {
        return session.current;
      },
      key: o.key,
      get role() {
        return session.role;
      },
      get restored() {
        return session.restoreReport;
      },
      // A follower, or a writer not started yet, has nothing of its own to write.
      flush: () => (this.role === 'writer' && this.launched ? this.scheduler.flush() : Promise.resolve(undefined)),
      start: () => this.start(),
      on: (type, listener) => o.events.on(type, listener),
      history: historyApi,
      clear: async () => (await historyCode.load()).clearHistory(this),
      close: () => this.close(),
    });
  }
}
