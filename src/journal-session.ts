import { createActor, type Actor, type AnyActorLogic, type EventFromLogic } from 'xstate';
import type { JournalDamage, JournalEntry, Lease } from './adapter.js';
import { rearmTimers, type CheckpointData, type PendingTimer } from './capture.js';
import { observeDeliveries } from './deliveries.js';
import { firstDifference, type Difference } from './diff.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import type { HistoryHost } from './history.js';
import { historyCode, lazyHistory } from './history-handle.js';
import { decodeJournaledEvent, journalEntry, type PendingEntry } from './journal-entry.js';
import { JournalWriter, nextTurn } from './journal-writer.js';
import { installLifecycleHooks, withAsyncDispose, type AsyncDisposableLike } from './lifecycle.js';
import { writerOptions, type ResolvedJournalOptions, type ResolvedOptions } from './options.js';
import type { PersistedActor } from './persisted-actor.js';
import { Replay } from './replay.js';
import type { RestoreOutcome, RestoreReport } from './restore.js';
import { announceRestore, buildRestoreReport } from './restore-report.js';
import { createRestoredActor, type RestoredActor } from './restored-actor.js';
import { GenerationWriter } from './save.js';
import type { FlushInfo } from './scheduler.js';

/** What the journal contributed to a restore. */
export interface JournalRestoreInfo {
  /** The journal position the restored snapshot covers (0 without one). */
  readonly fromSeq: number;
  /** The last journal entry applied. */
  readonly lastSeq: number;
  /** Entries replayed onto the snapshot through the pure transition function. */
  readonly replayed: number;
  /** Entries for actors that were gone or stopped at that point (XState dropped them too). */
  readonly skipped: number;
  /** An unfinished last append that was cut (never acknowledged). */
  readonly torn?: JournalDamage;
  /** A damaged entry: replay stopped at the last good one; the rest is set aside by the next append. */
  readonly corrupt?: JournalDamage;
}

/** {@link RestoreReport} of journal mode. */
export interface JournalRestoreReport extends RestoreReport {
  readonly journal: JournalRestoreInfo;
}

/** A persisted actor in journal mode: every delivered event is journaled; `send` acknowledges durability. */
export interface JournaledActor<TLogic extends AnyActorLogic> extends PersistedActor<TLogic> {
  readonly restored: JournalRestoreReport;
  /**
   * Sends `event` to the actor and resolves with its journal sequence once it
   * (with everything it caused synchronously) is durable. Rejects with
   * `closed` when the actor no longer runs (XState drops the event).
   */
  send(event: EventFromLogic<TLogic>): Promise<number>;
  /** Writes a snapshot generation now (and truncates the journal it covers). */
  compact(): Promise<FlushInfo>;
}

/** Where journal mode starts from: the restored snapshot, the journal after it and their replay. */
export interface JournalStart {
  readonly outcome: RestoreOutcome<unknown>;
  /** The state the live actor starts from; `undefined`: fresh, nothing journaled. */
  readonly data: CheckpointData | undefined;
  /** What the report's `journal` says. */
  readonly info: JournalRestoreInfo;
}

interface Base {
  /** The codec bytes of `{ snapshot, timers }` a replay check starts from. */
  readonly bytes: Uint8Array;
  /** The journal position it covers. */
  readonly seq: number;
}

const noop = (): undefined => undefined;
// Replayed events between yields of a background replay check.
// Small, because a slice holds up the acknowledgements whose fdatasync returns meanwhile:
// 16 events are about 60 us on an idle 2-core machine (1,000 entries cost about 1.6x what
// the live actor spent on them); a yield costs about 2 us.
const CHECK_SLICE = 16;

function timerKeys(timers: readonly PendingTimer[]): string[] {
  return timers.map((t) => JSON.stringify([t.source, t.target, t.event.type])).sort();
}

/**
 * Replay's stand-in actors get the live actor's identity (`id`, `systemId`),
 * so `self` means the same in both.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { replayIdentity } from './journal-session.js';
 * import { resolveOptions } from './options.js';
 * replayIdentity(resolveOptions(createMachine({}), { key: 'k', adapter: memoryAdapter(), id: 'a' })); // { id: 'a' }
 * ```
 */
export function replayIdentity(o: ResolvedOptions<AnyActorLogic>): { id?: string; systemId?: string } {
  const identity: { id?: string; systemId?: string } = {};
  const { id, systemId } = o.actorOptions;
  if (id !== undefined) identity.id = id;
  if (systemId !== undefined) identity.systemId = systemId;
  return identity;
}

/**
 * Journal mode's running state: the live actor, the event journal (group
 * commit), compaction into snapshot generations with journal truncation, and
 * the background replay check.
 *
 * @example
 * ```ts
 * import type { AnyActorLogic } from 'xstate';
 * import { JournalSession, type JournalStart } from './journal-session.js';
 * import type { ResolvedOptions } from './options.js';
 * declare const o: ResolvedOptions<AnyActorLogic>;
 * declare const start: JournalStart;
 * const session = new JournalSession(o, undefined, start, [], Date.now());
 * await session.begin();
 * const persisted = session.handle();
 * ```
 */
export class JournalSession<TLogic extends AnyActorLogic> implements HistoryHost<TLogic> {
  private current: Actor<TLogic>;
  private readonly restored: RestoredActor<TLogic> | undefined;
  private readonly jo: ResolvedJournalOptions;
  /** The event journal (group commit). */
  private readonly log: JournalWriter;
  /** Snapshot generations. */
  private readonly gens: GenerationWriter;
  // Journal position of each generation this process knows; unknown ones hold truncation back.
  private readonly genJournal = new Map<number, number>();
  private coveredSeq: number;
  private truncatedUpTo = 0;
  private lastInfo: FlushInfo | undefined;
  private base: Base | undefined;
  private since: JournalEntry[] = [];
  private compactTimer: unknown;
  private autoCompacting = false;
  private chain: Promise<unknown> = Promise.resolve();
  // Checks run one at a time, in slices, after the generation is written: replay costs
  // about what the live actor spent, and slicing lets appends go on meanwhile.
  private checks: Promise<void> = Promise.resolve();
  private unobserve: () => void = noop;
  private launched = false;
  private closed = false;
  private opened: (first?: Promise<unknown>) => void = noop;
  private report_: JournalRestoreReport;
  private removeHooks: () => void = noop;

  constructor(
    readonly options: ResolvedOptions<TLogic>,
    private readonly lease: Lease | undefined,
    private readonly start: JournalStart,
    known: NonNullable<GenerationWriter['known']>,
    started: number,
  ) {
    const o = options;
    const { outcome, data, info } = start;
    this.jo = o.journal!;
    this.restored = data ? createRestoredActor(o.logic, data.snapshot, o.actorOptions) : undefined;
    this.current = this.restored?.actor ?? createActor(o.logic, o.actorOptions);
    const epoch = lease?.epoch ?? outcome.newestEpoch;
    this.gens = new GenerationWriter(writerOptions(o), { nextSeq: outcome.newestSeq + 1, epoch, known });
    if (outcome.accepted) this.genJournal.set(outcome.accepted.header.seq, info.fromSeq);
    this.coveredSeq = info.fromSeq;
    this.base = this.jo.verifyReplay && data ? { bytes: o.codec.encode(data, o.limits), seq: info.lastSeq } : undefined;
    this.log = new JournalWriter({
      store: o.adapter.journal!,
      key: o.key,
      adapter: o.adapter.name,
      epoch,
      firstSeq: info.lastSeq + 1,
      clock: o.clock,
      onError: (error, attempt) => {
        o.events.emit({ type: 'save-error', key: o.key, error, attempt });
        o.onError(error);
      },
      ...(this.jo.verifyReplay
        ? { onDurable: (entries: readonly JournalEntry[]) => void this.since.push(...entries) }
        : {}),
    });
    this.report_ = { ...buildRestoreReport(outcome, this.restored, o.clock.now() - started), journal: info };
  }

  /**
   * Journals deliveries from the first send, also before start() (XState queues them);
   * with `start: false` appends wait for the launch, and the generation it may write.
   */
  async begin(): Promise<void> {
    const o = this.options;
    this.unobserve = this.observe(this.current);
    if (!o.start) this.log.hold(new Promise<unknown>((resolve) => (this.opened = resolve)));
    await announceRestore(o.key, o.adapter.name, this.report_, o.notices);
    if (o.start) return this.launch();
    // The XState habit (attach listeners, then `actor.start()`) launches too.
    const actor = this.current;
    Object.defineProperty(actor, 'start', {
      configurable: true,
      writable: true,
      value: () => {
        this.startWriter();
        return actor;
      },
    });
  }

  report(): RestoreReport {
    return this.report_;
  }

  private observe(actor: Actor<TLogic>): () => void {
    const o = this.options;
    return observeDeliveries(actor, (event, target, source) => {
      if (this.log.halted) return;
      let entry: PendingEntry;
      try {
        entry = journalEntry(o.codec, o.clock.now(), event, target, source, o.limits);
      } catch (caught) {
        const error = toCheckpointError(caught, 'encode', { key: o.key, adapter: o.adapter.name });
        // A gap in the journal would make every later replay wrong: stop journaling.
        this.log.halt(error);
        o.events.emit({ type: 'save-error', key: o.key, error, attempt: 1 });
        o.onError(error);
        return;
      }
      const seq = this.log.record(entry);
      if (seq - this.coveredSeq >= this.jo.compactEvery) this.requestCompaction();
      if (this.compactTimer === undefined) {
        this.compactTimer = o.clock.setTimeout(() => {
          this.compactTimer = undefined;
          this.requestCompaction();
        }, this.jo.compactAfterMs);
        // The journal is durable without it: this timer alone must not keep a process alive.
        (this.compactTimer as { unref?: () => void } | undefined)?.unref?.();
      }
    });
  }

  // One automatic compaction at a time; a threshold crossed meanwhile is looked at when it ends.
  private requestCompaction(): void {
    if (this.autoCompacting) return;
    this.autoCompacting = true;
    nextTurn(() => {
      void this.compact(false)
        .catch(noop)
        .then(() => {
          this.autoCompacting = false;
          if (this.log.lastSeq - this.coveredSeq >= this.jo.compactEvery) this.requestCompaction();
        });
    });
  }

  private async checkReplay(from: Base, entries: readonly JournalEntry[], payload: Uint8Array, toSeq: number) {
    const o = this.options;
    let diff: Difference | undefined;
    try {
      const baseData = o.codec.decode(from.bytes, o.limits) as CheckpointData;
      const stand = createRestoredActor(o.logic, baseData.snapshot, replayIdentity(o)).actor;
      const replay = new Replay(o.logic, stand, baseData.timers);
      let slice = 0;
      for (const entry of entries) {
        if (entry.seq <= from.seq || entry.seq > toSeq) continue;
        replay.apply(decodeJournaledEvent(entry, o.codecs, o.limits));
        // Between slices the group commit goes first: the check runs while the store works.
        if (++slice % CHECK_SLICE === 0) await this.log.quietTurn();
      }
      const live = o.codec.decode(payload, o.limits) as CheckpointData;
      diff = firstDifference(live.snapshot, o.codec.decode(o.codec.encode(replay.persisted(), o.limits), o.limits));
      if (!diff) {
        const a = timerKeys(live.timers);
        const b = timerKeys(replay.timers);
        if (a.join('\n') !== b.join('\n')) diff = { path: ['timers'], left: a, right: b };
      }
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      diff = { path: [], left: 'the live state', right: `replay failed: ${why}` };
    }
    if (diff) {
      o.events.emit({
        type: 'nondeterministic-replay',
        key: o.key,
        fromSeq: from.seq,
        toSeq,
        path: diff.path,
        live: diff.left,
        replayed: diff.right,
      });
    }
  }

  private async prune(keep: number, retain = this.options.retain, failed = this.options.onError): Promise<void> {
    await this.gens.prune(keep, retain, failed);
    // Every retained generation must still be restorable: keep the journal after the oldest of them.
    let upto = Number.POSITIVE_INFINITY;
    for (const g of this.gens.known ?? []) upto = Math.min(upto, this.genJournal.get(g.seq) ?? 0);
    if (upto > this.truncatedUpTo && Number.isFinite(upto)) {
      await this.options.adapter.journal!.truncate(this.options.key, upto);
      this.truncatedUpTo = upto;
    }
  }

  /** Writes a snapshot generation covering the journal so far; one at a time, in order. */
  compact(force: boolean, initial = false): Promise<FlushInfo | undefined> {
    const o = this.options;
    const run = () => this.compactNow(force, initial);
    const result = this.chain.then(run, run);
    this.chain = result.catch((caught: unknown) => {
      const error = toCheckpointError(caught, 'io', { key: o.key, adapter: o.adapter.name });
      if (error.code === 'fenced' || error.code === 'conflict') this.log.halt(error);
      o.events.emit({ type: 'save-error', key: o.key, error, attempt: 1 });
      o.onError(error);
    });
    return result;
  }

  private async compactNow(force: boolean, initial: boolean): Promise<FlushInfo | undefined> {
    const o = this.options;
    const upto = this.log.lastSeq;
    if (!force && upto === this.coveredSeq) return this.lastInfo;
    // Before start() the actor has not processed what was sent to it: its snapshot covers nothing.
    if (!this.launched) return this.lastInfo;
    // Stopped from outside: nothing more is written, as in snapshot mode (forced: capture throws `closed`).
    if (!force && (this.current.getSnapshot() as { status?: string }).status === 'stopped') return this.lastInfo;
    const t0 = o.clock.now();
    // Encoded at once: the captured snapshot shares objects with the live context. The position also stays
    // in the payload, where releases before the header field look for it: a reader not yet upgraded during
    // a rolling deploy would otherwise replay the whole journal onto a snapshot that already holds it.
    const data = { ...this.gens.capture(this.current), journal: upto };
    const payload = this.gens.encode(data);
    // The first generation goes out before any append (appends wait for it); later ones
    // only once the journal they cover is durable, so the journal never has holes.
    if (!initial) await this.log.whenDurable(upto);
    const record = await this.gens.write(payload, upto);
    this.genJournal.set(record.seq, upto);
    if (this.base && upto > this.base.seq) {
      const job = [this.base, this.since.filter((e) => e.seq <= upto), payload, upto] as const;
      this.checks = this.checks.then(() => this.checkReplay(...job));
    }
    if (this.jo.verifyReplay) {
      this.base = { bytes: payload, seq: upto };
      this.since = this.since.filter((e) => e.seq > upto);
    }
    this.coveredSeq = upto;
    if (this.compactTimer !== undefined && this.log.lastSeq === upto) {
      o.clock.clearTimeout(this.compactTimer);
      this.compactTimer = undefined;
    }
    const info: FlushInfo = { seq: record.seq, byteLength: record.byteLength, durationMs: o.clock.now() - t0 };
    this.lastInfo = info;
    o.events.emit({ type: 'save', key: o.key, ...info });
    await this.prune(record.seq);
    return info;
  }

  launch(): void {
    const o = this.options;
    if (this.launched || this.closed) return;
    this.launched = true;
    delete (this.current as { start?: unknown }).start; // the hook of begin(), if any
    let timersRestored: number;
    try {
      this.current.start();
      timersRestored = rearmTimers(this.current, this.start.data?.timers ?? [], o.clock.now());
    } catch (error) {
      // A start that fails keeps nothing running (the caller releases the lock).
      this.unobserve();
      this.current.stop();
      this.closed = true;
      throw toCheckpointError(error, 'invalid-state', { key: o.key, adapter: o.adapter.name });
    }
    this.report_ = { ...this.report_, timersRestored };
    const damage = this.start.info.corrupt;
    if (damage) o.onError(damageError(o.key, o.adapter.name, damage));
    // A fresh, migrated, fallen-back or damaged start is written as a generation before any append.
    const r = this.report_;
    if (
      !this.start.outcome.accepted ||
      r.migrationsApplied.length > 0 ||
      r.rejected.length > 0 ||
      damage ||
      r.journal.replayed >= this.jo.compactEvery
    ) {
      const first = this.compact(true, true);
      this.log.hold(first);
      first.catch(noop);
      this.opened(first);
    } else {
      this.opened();
    }
    if (o.flushOnExit) this.removeHooks = installLifecycleHooks(() => this.log.flush(), o.lifecycle);
    o.events.emit({ type: 'restore', key: o.key, report: r, durationMs: r.durationMs });
  }

  private startWriter(): void {
    try {
      this.launch();
    } catch (error) {
      void this.lease?.release().catch(noop);
      throw error;
    }
  }

  assertWriter(): void {
    if (this.closed) throw new CheckpointError('closed', { key: this.options.key });
  }

  /** Stops the running actor, starts `next` in its place and compacts: its state becomes a new generation. */
  async restartWith(next: Actor<TLogic>, timers: readonly PendingTimer[]) {
    await this.log.flush().catch(noop);
    this.unobserve();
    this.current.stop();
    this.current = next;
    // The journal before the restart describes another history: no replay check across it.
    this.base = undefined;
    this.since = [];
    this.unobserve = this.observe(next);
    next.start();
    const timersRestored = rearmTimers(next, timers, this.options.clock.now());
    return { info: (await this.compact(true))!, timersRestored };
  }

  /** Every older generation goes, and with them the journal they needed (quarantined ones stay). */
  pruneAllBut(keep: number, failed: (error: CheckpointError) => void): Promise<void> {
    return this.prune(keep, { latest: 1 }, failed);
  }

  send(event: EventFromLogic<TLogic>): Promise<number> {
    const key = this.options.key;
    if (this.closed)
      return Promise.reject(new CheckpointError('closed', { key, detail: 'the persisted actor was closed' }));
    if (this.log.halted) return Promise.reject(this.log.halted);
    const before = this.log.lastSeq;
    this.current.send(event);
    const after = this.log.lastSeq;
    if (after === before) {
      // send() may have halted the writer (an event that cannot be encoded).
      const halted = this.log.halted as CheckpointError | undefined;
      if (halted) return Promise.reject(halted);
      return Promise.reject(
        new CheckpointError('closed', {
          key,
          detail: 'the actor is not running (done, stopped or failed); XState dropped the event',
        }),
      );
    }
    return this.log.whenDurable(after).then(() => before + 1);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const key = this.options.key;
    if (!this.launched) {
      // Never started: what was sent meanwhile was not processed, so it is not acknowledged either.
      this.log.halt(new CheckpointError('closed', { key, detail: 'closed before start()' }));
      this.opened();
      this.closed = true;
      this.unobserve();
      this.current.stop();
      await this.releaseJournal();
      await this.lease?.release().catch(noop);
      return;
    }
    this.closed = true;
    let failure: unknown;
    try {
      // From here a failing append rejects instead of retrying forever.
      await this.log.close();
      const running = (this.current.getSnapshot() as { status?: string }).status !== 'stopped';
      if (running && this.jo.compactOnClose) await this.compact(false);
    } catch (error) {
      failure = error;
    }
    if (this.compactTimer !== undefined) this.options.clock.clearTimeout(this.compactTimer);
    await this.checks;
    this.unobserve();
    this.current.stop();
    // Events delivered while closing were journaled too; make them durable (or fail once).
    await this.log.close().catch((error: unknown) => {
      failure ??= error;
    });
    this.removeHooks();
    await this.releaseJournal();
    await this.lease?.release().catch(noop);
    if (failure !== undefined) throw failure;
  }

  /** The store may close what it holds for this key (a file store's open segment): nothing more is appended. */
  private releaseJournal(): Promise<void> {
    const store = this.options.adapter.journal!;
    return store.release ? store.release(this.options.key).catch(noop) : Promise.resolve();
  }

  /** The object `persistActor` resolves with in journal mode. */
  handle(): JournaledActor<TLogic> {
    const o = this.options;
    const historyApi = lazyHistory(this);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters below read the live session
    const session = this;
    return withAsyncDispose<Omit<JournaledActor<TLogic>, keyof AsyncDisposableLike>>({
      get actor() {
        return session.current;
      },
      key: o.key,
      role: 'writer',
      get restored() {
        return session.report_;
      },
      start: () => this.startWriter(),
      on: (type, listener) => o.events.on(type, listener),
      send: (event) => this.send(event),
      flush: async () => {
        await this.log.flush();
        return this.lastInfo;
      },
      compact: async () => (await this.compact(true))!,
      history: historyApi,
      clear: async () => (await historyCode.load()).clearHistory(this),
      close: () => this.close(),
    });
  }
}

function damageError(key: string, adapter: string, damage: JournalDamage): CheckpointError {
  return new CheckpointError('corrupt', {
    key,
    adapter,
    seq: damage.afterSeq + 1,
    detail:
      `the journal is damaged after entry ${damage.afterSeq} (${damage.reason}); replay stopped there and ` +
      `the next ${damage.byteLength} bytes are set aside by the next append`,
  });
}
