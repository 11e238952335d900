import { createActor, type Actor, type ActorOptions, type AnyActorLogic, type EventFromLogic } from 'xstate';
import type { GenerationInfo, JournalDamage, JournalEntry, Lease } from './adapter.js';
import { captureCheckpoint, rearmTimers, type CheckpointData, type PendingTimer } from './capture.js';
import { systemClock } from './clock.js';
import { checkWritable, taggedJsonCodec, type Codec } from './codec/index.js';
import { observeDeliveries } from './deliveries.js';
import { firstDifference, type Difference } from './diff.js';
import { checkCompress } from './compression.js';
import { createRestoredActor, type RestoredActor } from './restored-actor.js';
import { announceRestore, buildRestoreReport } from './restore-report.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import { CheckpointEmitter } from './events.js';
import { decodeJournaledEvent, encodeJournaledEvent, type JournaledEvent } from './journal-entry.js';
import { JournalWriter, nextTurn } from './journal-writer.js';
import { checkKey } from './keys.js';
import { installLifecycleHooks, withAsyncDispose, type AsyncDisposableLike } from './lifecycle.js';
import { checkMigrations } from './migrate.js';
import type { JournalOptions } from './journal-options.js';
import type { PersistOptions, PersistedActor } from './persist.js';
import { Replay } from './replay.js';
import { freshReport, loadGeneration, restoreNewest, type RestoreReport } from './restore.js';
import { checkRetention, explainRetention, pruneGenerations, type RetentionOptions } from './retention.js';
import { writeGeneration } from './save.js';
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

interface Base {
  /** The codec bytes of `{ snapshot, timers }` a replay check starts from. */
  readonly bytes: Uint8Array;
  /** The journal position it covers. */
  readonly seq: number;
}

const noop = () => undefined;
// Replayed events between yields of a background replay check.
const CHECK_SLICE = 256;

function machineIdOf(logic: AnyActorLogic, explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const id = (logic as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 ? id : 'actor';
}

function timerKeys(timers: readonly PendingTimer[]): string[] {
  return timers.map((t) => JSON.stringify([t.source, t.target, t.event.type])).sort();
}

/**
 * Journal mode (what `persistActor(logic, { journal: true })` runs): restores
 * the newest valid snapshot generation, replays the journal entries after it
 * through the pure transition function (no action runs during replay), starts
 * the actor from the result with its delayed events re-armed, and from then on
 * journals every event delivered in the actor's tree (sends, timers, children)
 * with group commit: `send(event)` resolves when the event is durable, and
 * events arriving together share one append. A snapshot generation is written
 * every `compactEvery` entries or `compactAfterMs`, and the journal it covers
 * is truncated per retention.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistJournaled } from 'xstate-checkpoint/journal';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const machine = createMachine({ id: 'pay', initial: 'open', states: { open: { on: { PAY: 'paid' } }, paid: {} } });
 * const persisted = await persistJournaled(machine, { key: 'pay-1', adapter: memoryAdapter(), journal: true });
 * await persisted.send({ type: 'PAY' }); // durable now
 * await persisted.close();
 * ```
 */
export async function persistJournaled<TLogic extends AnyActorLogic>(
  logic: TLogic,
  options: PersistOptions<TLogic>,
): Promise<JournaledActor<TLogic>> {
  const version = options.version ?? 1;
  const { key, adapter } = options;
  checkKey(key);
  const bad = (detail: string) => new CheckpointError('invalid-option', { key, detail });
  if (typeof (logic as { transition?: unknown } | null)?.transition !== 'function') {
    throw bad('the first argument must be actor logic (a machine or fromPromise/fromCallback/... logic)');
  }
  if (!adapter || typeof adapter.write !== 'function') throw bad('`adapter` is required (e.g. memoryAdapter())');
  const store = adapter.journal;
  if (!store) {
    throw bad(
      `journal mode needs an adapter with a journal; "${adapter.name}" has none (memoryAdapter and fileJournalAdapter have one)`,
    );
  }
  if (!Number.isInteger(version) || version < 1)
    throw bad(`\`version\` must be an integer >= 1, got ${String(version)}`);
  if (options.lock && !adapter.acquire) throw bad(`\`lock\` needs an adapter with locks; "${adapter.name}" has none`);
  checkRetention(options.retain, key);
  checkCompress(options.compress, key);
  checkMigrations(options.migrations ?? {}, version);
  const jo: JournalOptions = typeof options.journal === 'object' ? options.journal : {};
  const compactEvery = jo.compactEvery ?? 1000;
  const compactAfterMs = jo.compactAfterMs ?? 60_000;
  const verify = jo.verifyReplay ?? true;
  if (!(Number.isInteger(compactEvery) && compactEvery >= 1))
    throw bad('`journal.compactEvery` must be an integer >= 1');
  if (!(compactAfterMs > 0)) throw bad('`journal.compactAfterMs` must be a positive number of ms');

  const clock = options.clock ?? systemClock;
  const codec: Codec = options.codec ?? taggedJsonCodec;
  const codecs = [codec, ...(options.readCodecs ?? []).filter((c) => c.id !== codec.id)];
  const machineId = machineIdOf(logic, options.machineId);
  const events = new CheckpointEmitter(options.onEvent);
  const onError =
    options.onError ??
    ((error: CheckpointError) => {
      console.error(`xstate-checkpoint: ${error.message}`);
    });
  const started = clock.now();
  const actorOptions: ActorOptions<TLogic> = {};
  for (const name of ['input', 'inspect', 'systemId', 'logger', 'id'] as const) {
    if (options[name] !== undefined) (actorOptions as Record<string, unknown>)[name] = options[name];
  }
  // Replay's stand-in actors get the live actor's identity, so `self` means the same in both.
  const identity: Record<string, unknown> = {};
  if (options.id !== undefined) identity['id'] = options.id;
  if (options.systemId !== undefined) identity['systemId'] = options.systemId;

  const createFrom = (snapshot: unknown, extra: object): RestoredActor<TLogic> =>
    createRestoredActor(logic, snapshot, extra as ActorOptions<TLogic>);

  let lease: Lease | undefined;
  if (options.lock) lease = await adapter.acquire!(key, typeof options.lock === 'object' ? options.lock : {});
  const fail = async (error: unknown): Promise<never> => {
    await lease?.release().catch(noop);
    throw toCheckpointError(error, 'io', { key, adapter: adapter.name });
  };

  // The generation payload is `{ snapshot, timers, journal }`; decodeCheckpoint keeps only the
  // first two, so the codecs handed to restore note the journal position as they decode.
  let decodedJournal: unknown;
  const noting = codecs.map((c): Codec => ({
    id: c.id,
    encode: (value) => c.encode(value),
    decode: (bytes, limits) => {
      const value = c.decode(bytes, limits);
      decodedJournal = (value as { journal?: unknown } | null)?.journal;
      return value;
    },
  }));
  const restoreContext = { logic, machineId, version, migrations: options.migrations, schema: options.schema };
  let outcome;
  try {
    outcome = await restoreNewest({
      ...restoreContext,
      adapter,
      key,
      codecs: noting,
      limits: options.limits,
      onRestoreError: options.onRestoreError ?? 'fallback',
      accept: (prepared) => ({
        actor: createFrom(prepared.data.snapshot, identity).actor,
        journalSeq:
          Number.isSafeInteger(decodedJournal) && (decodedJournal as number) >= 0 ? (decodedJournal as number) : 0,
      }),
      onQuarantine: (seq, reason) => events.emit({ type: 'quarantine', key, seq, reason }),
    });
  } catch (error) {
    return fail(error);
  }
  const accepted = outcome.accepted;
  const fromSeq = accepted?.value.journalSeq ?? 0;

  let read;
  try {
    read = await store.read(key, fromSeq);
  } catch (error) {
    return fail(error);
  }
  const journaled: JournaledEvent[] = [];
  try {
    let expected = fromSeq + 1;
    for (const entry of read.entries) {
      if (entry.seq !== expected) {
        throw new CheckpointError('restore-failed', {
          key,
          adapter: adapter.name,
          detail:
            `journal entries ${expected} to ${entry.seq - 1} are missing ` +
            `(the snapshot covers up to ${fromSeq}); acknowledged events may be lost, so nothing was started`,
        });
      }
      expected++;
      journaled.push(decodeJournaledEvent(entry, codecs, options.limits));
    }
  } catch (error) {
    return fail(error);
  }

  let replayed = 0;
  let skipped = 0;
  let start: CheckpointData | undefined = accepted?.prepared.data;
  if (journaled.length > 0) {
    try {
      const baseActor =
        accepted?.value.actor ?? createActor(logic, { ...identity, input: options.input } as ActorOptions<TLogic>);
      const replay = new Replay(
        logic,
        baseActor,
        accepted?.prepared.data.timers ?? [],
        accepted ? undefined : { at: journaled[0]!.at },
      );
      for (const e of journaled) {
        if (replay.apply(e) === 'applied') replayed++;
        else skipped++;
      }
      start = { snapshot: replay.persisted(), timers: replay.timers };
    } catch (error) {
      return fail(error);
    }
  }
  const lastSeq = journaled.length > 0 ? journaled[journaled.length - 1]!.seq : fromSeq;

  let current: Actor<TLogic>;
  let restored: RestoredActor<TLogic> | undefined;
  try {
    restored = start ? createFrom(start.snapshot, actorOptions) : undefined;
    current = restored?.actor ?? createActor(logic, actorOptions);
  } catch (error) {
    return fail(error);
  }

  const epoch = lease?.epoch ?? outcome.newestEpoch;
  let nextGen = outcome.newestSeq + 1;
  const known: GenerationInfo[] = (await adapter.list(key).catch(() => [])).slice();
  // Journal position of each generation this process knows; unknown ones hold truncation back.
  const genJournal = new Map<number, number>();
  if (accepted) genJournal.set(accepted.header.seq, fromSeq);
  let coveredSeq = fromSeq;
  let truncatedUpTo = 0;
  let lastInfo: FlushInfo | undefined;
  let base: Base | undefined = verify && start ? { bytes: codec.encode(start), seq: lastSeq } : undefined;
  let since: JournalEntry[] = [];

  const writer = new JournalWriter({
    store,
    key,
    adapter: adapter.name,
    epoch,
    firstSeq: lastSeq + 1,
    clock,
    onError: (error, attempt) => {
      events.emit({ type: 'save-error', key, error, attempt });
      onError(error);
    },
    ...(verify ? { onDurable: (entries: readonly JournalEntry[]) => void since.push(...entries) } : {}),
  });

  let compactTimer: unknown;
  let autoCompacting = false;
  // One automatic compaction at a time; a threshold crossed meanwhile is looked at when it ends.
  const requestCompaction = () => {
    if (autoCompacting) return;
    autoCompacting = true;
    nextTurn(() => {
      void compact(false)
        .catch(noop)
        .then(() => {
          autoCompacting = false;
          if (writer.lastSeq - coveredSeq >= compactEvery) requestCompaction();
        });
    });
  };
  const observe = (actor: Actor<TLogic>) =>
    observeDeliveries(actor, (event, target, source) => {
      if (writer.halted) return;
      let bytes: Uint8Array;
      try {
        bytes = encodeJournaledEvent(codec, clock.now(), event, target, source);
      } catch (caught) {
        const error = toCheckpointError(caught, 'encode', { key, adapter: adapter.name });
        // A gap in the journal would make every later replay wrong: stop journaling.
        writer.halt(error);
        events.emit({ type: 'save-error', key, error, attempt: 1 });
        onError(error);
        return;
      }
      const seq = writer.record(bytes);
      if (seq - coveredSeq >= compactEvery) requestCompaction();
      if (compactTimer === undefined) {
        compactTimer = clock.setTimeout(() => {
          compactTimer = undefined;
          requestCompaction();
        }, compactAfterMs);
        // The journal is durable without it: this timer alone must not keep a process alive.
        (compactTimer as { unref?: () => void } | undefined)?.unref?.();
      }
    });

  // Checks run one at a time, in slices, after the generation is written: replay costs
  // about what the live actor spent, and slicing lets appends go on meanwhile.
  let checks: Promise<void> = Promise.resolve();
  const checkReplay = async (from: Base, entries: readonly JournalEntry[], payload: Uint8Array, toSeq: number) => {
    let diff: Difference | undefined;
    try {
      const baseData = codec.decode(from.bytes) as CheckpointData;
      const replay = new Replay(logic, createFrom(baseData.snapshot, identity).actor, baseData.timers);
      let slice = 0;
      for (const entry of entries) {
        if (entry.seq <= from.seq || entry.seq > toSeq) continue;
        replay.apply(decodeJournaledEvent(entry, codecs, options.limits));
        if (++slice % CHECK_SLICE === 0) await new Promise<void>((resolve) => nextTurn(resolve));
      }
      const live = codec.decode(payload) as CheckpointData;
      diff = firstDifference(live.snapshot, codec.decode(codec.encode(replay.persisted())));
      if (!diff) {
        const a = timerKeys(live.timers);
        const b = timerKeys(replay.timers);
        if (a.join('\n') !== b.join('\n')) diff = { path: ['timers'], left: a, right: b };
      }
    } catch (error) {
      diff = {
        path: [],
        left: 'the live state',
        right: `replay failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (diff) {
      events.emit({
        type: 'nondeterministic-replay',
        key,
        fromSeq: from.seq,
        toSeq,
        path: diff.path,
        live: diff.left,
        replayed: diff.right,
      });
    }
  };

  const prune = async (keep: number, retain: RetentionOptions = options.retain ?? {}, failed = onError) => {
    const removed = await pruneGenerations(adapter, key, known, retain, clock.now(), keep, failed);
    if (removed.length > 0) events.emit({ type: 'prune', key, removed });
    // Every retained generation must still be restorable: keep the journal after the oldest of them.
    let upto = Number.POSITIVE_INFINITY;
    for (const g of known) upto = Math.min(upto, genJournal.get(g.seq) ?? 0);
    if (upto > truncatedUpTo && Number.isFinite(upto)) {
      await store.truncate(key, upto);
      truncatedUpTo = upto;
    }
  };

  let chain: Promise<unknown> = Promise.resolve();
  const compact = (force: boolean, initial = false): Promise<FlushInfo | undefined> => {
    const run = async (): Promise<FlushInfo | undefined> => {
      const upto = writer.lastSeq;
      if (!force && upto === coveredSeq) return lastInfo;
      // Before start() the actor has not processed what was sent to it: its snapshot covers nothing.
      if (!launched) return lastInfo;
      if ((current.getSnapshot() as { status?: string }).status === 'stopped') {
        // Stopped from outside: nothing more is written, as in snapshot mode.
        if (!force) return lastInfo;
        throw new CheckpointError('closed', {
          key,
          detail: 'the actor was stopped; a stopped snapshot is never written',
        });
      }
      const t0 = clock.now();
      const data = captureCheckpoint(current);
      // Encoded at once: the captured snapshot shares objects with the live context.
      const payload = codec.encode({ snapshot: data.snapshot, timers: data.timers, journal: upto });
      checkWritable(codec, payload, options.limits);
      // The first generation goes out before any append (appends wait for it); later ones
      // only once the journal they cover is durable, so the journal never has holes.
      if (!initial) await writer.whenDurable(upto);
      const { seq, createdAt, bytes } = await writeGeneration({
        adapter,
        key,
        clock,
        fields: { machine: machineId, version, epoch, codec: codec.id },
        payload,
        compress: options.compress,
        claimSeq: (atLeast = 0) => {
          nextGen = Math.max(nextGen, atLeast);
          return nextGen++;
        },
        known,
        retain: options.retain,
        onDropped: (removed) => events.emit({ type: 'prune', key, removed }),
        onError,
      });
      known.unshift({ seq, epoch, createdAt, byteLength: bytes.length });
      genJournal.set(seq, upto);
      if (base && upto > base.seq) {
        const job = [base, since.filter((e) => e.seq <= upto), payload, upto] as const;
        checks = checks.then(() => checkReplay(...job));
      }
      if (verify) {
        base = { bytes: payload, seq: upto };
        since = since.filter((e) => e.seq > upto);
      }
      coveredSeq = upto;
      if (compactTimer !== undefined && writer.lastSeq === upto) {
        clock.clearTimeout(compactTimer);
        compactTimer = undefined;
      }
      const info: FlushInfo = { seq, byteLength: bytes.length, durationMs: clock.now() - t0 };
      lastInfo = info;
      events.emit({ type: 'save', key, ...info });
      await prune(seq);
      return info;
    };
    const result = chain.then(run, run);
    chain = result.catch((caught: unknown) => {
      const error = toCheckpointError(caught, 'io', { key, adapter: adapter.name });
      if (error.code === 'fenced' || error.code === 'conflict') writer.halt(error);
      events.emit({ type: 'save-error', key, error, attempt: 1 });
      onError(error);
    });
    return result;
  };

  // Deliveries are journaled from the first send, also before start() (XState queues them);
  // with `start: false` appends wait for the launch, and the generation it may write.
  let unobserve = observe(current);
  let launched = false;
  let opened: (first?: Promise<unknown>) => void = noop;
  if (options.start === false) writer.hold(new Promise<unknown>((resolve) => (opened = resolve)));
  const damage = read.corrupt;
  let report: JournalRestoreReport = {
    ...buildRestoreReport(outcome, restored, clock.now() - started),
    journal: {
      fromSeq,
      lastSeq,
      replayed,
      skipped,
      ...(read.torn ? { torn: read.torn } : {}),
      ...(damage ? { corrupt: damage } : {}),
    },
  };
  announceRestore(key, adapter.name, report, { logger: options.logger, onError: options.onError });
  let removeHooks: () => void = noop;
  const launch = () => {
    if (launched || closed) return;
    launched = true;
    delete (current as { start?: unknown }).start; // the hook below, if any
    let timersRestored: number;
    try {
      current.start();
      timersRestored = rearmTimers(current, start?.timers ?? [], clock.now());
    } catch (error) {
      // A start that fails keeps nothing running (the caller releases the lock).
      unobserve();
      current.stop();
      closed = true;
      throw toCheckpointError(error, 'invalid-state', { key, adapter: adapter.name });
    }
    report = { ...report, timersRestored };
    if (damage) {
      onError(
        new CheckpointError('corrupt', {
          key,
          adapter: adapter.name,
          seq: damage.afterSeq + 1,
          detail:
            `the journal is damaged after entry ${damage.afterSeq} (${damage.reason}); replay stopped there and ` +
            `the next ${damage.byteLength} bytes are set aside by the next append`,
        }),
      );
    }
    // A fresh, migrated, fallen-back or damaged start is written as a generation before any append.
    if (
      !accepted ||
      report.migrationsApplied.length > 0 ||
      report.rejected.length > 0 ||
      damage ||
      replayed >= compactEvery
    ) {
      const first = compact(true, true);
      writer.hold(first);
      first.catch(noop);
      opened(first);
    } else {
      opened();
    }
    removeHooks = options.flushOnExit === false ? noop : installLifecycleHooks(() => writer.flush(), options.lifecycle);
    events.emit({ type: 'restore', key, report, durationMs: report.durationMs });
  };
  let closed = false;
  const startWriter = () => {
    try {
      launch();
    } catch (error) {
      void lease?.release().catch(noop);
      throw error;
    }
  };
  if (options.start === false) {
    // The XState habit (attach listeners, then `actor.start()`) launches too.
    const actor = current;
    Object.defineProperty(actor, 'start', {
      configurable: true,
      writable: true,
      value: () => {
        startWriter();
        return actor;
      },
    });
  } else {
    try {
      launch();
    } catch (error) {
      return fail(error);
    }
  }

  const haltedBy = (): CheckpointError | undefined => writer.halted;
  const load = (seq: number) => loadGeneration(adapter, key, seq, codecs, options.limits, restoreContext);

  /** Stops the running actor, starts `next` in its place and compacts: its state becomes a new generation. */
  const restartWith = async (next: Actor<TLogic>, timers: readonly PendingTimer[]) => {
    await writer.flush().catch(noop);
    unobserve();
    current.stop();
    current = next;
    // The journal before the restart describes another history: no replay check across it.
    base = undefined;
    since = [];
    unobserve = observe(next);
    next.start();
    const timersRestored = rearmTimers(next, timers, clock.now());
    return { info: (await compact(true))!, timersRestored };
  };

  return withAsyncDispose<Omit<JournaledActor<TLogic>, keyof AsyncDisposableLike>>({
    get actor() {
      return current;
    },
    key,
    role: 'writer',
    get restored() {
      return report;
    },
    start: startWriter,
    on: (type, listener) => events.on(type, listener),
    send(event) {
      if (closed)
        return Promise.reject(new CheckpointError('closed', { key, detail: 'the persisted actor was closed' }));
      if (writer.halted) return Promise.reject(writer.halted);
      const before = writer.lastSeq;
      current.send(event);
      const after = writer.lastSeq;
      if (after === before) {
        // send() may have halted the writer (an event that cannot be encoded).
        const halted = haltedBy();
        if (halted) return Promise.reject(halted);
        return Promise.reject(
          new CheckpointError('closed', {
            key,
            detail: 'the actor is not running (done, stopped or failed); XState dropped the event',
          }),
        );
      }
      return writer.whenDurable(after).then(() => before + 1);
    },
    async flush() {
      await writer.flush();
      return lastInfo;
    },
    compact: async () => (await compact(true))!,
    history: {
      list: async () => explainRetention(await adapter.list(key), options.retain ?? {}, clock.now()),
      load,
      async rollback(seq) {
        if (closed) throw new CheckpointError('closed', { key });
        const target = await load(seq);
        launch(); // a rollback before start() starts the actor it replaces, so the journal runs
        const { info, timersRestored: timers } = await restartWith(
          createFrom(target.snapshot, actorOptions).actor,
          target.timers,
        );
        events.emit({
          type: 'restore',
          key,
          durationMs: 0,
          report: { ...report, source: 'checkpoint', seq, storedVersion: target.storedVersion, timersRestored: timers },
        });
        return info;
      },
    },
    async clear() {
      if (closed) throw new CheckpointError('closed', { key });
      launch(); // before start(): the actor it replaces starts first, so the journal runs
      const t0 = clock.now();
      const { info } = await restartWith(createActor(logic, actorOptions), []);
      events.emit({ type: 'restore', key, durationMs: clock.now() - t0, report: freshReport(clock.now() - t0) });
      // Every older generation goes, and with them the journal they needed (quarantined ones stay).
      const failures: CheckpointError[] = [];
      await prune(info.seq, { latest: 1 }, (error) => failures.push(error));
      if (failures.length > 0) throw failures[0]!;
      return info;
    },
    async close() {
      if (closed) return;
      let failure: unknown;
      if (!launched) {
        // Never started: what was sent meanwhile was not processed, so it is not acknowledged either.
        writer.halt(new CheckpointError('closed', { key, detail: 'closed before start()' }));
        opened();
        closed = true;
        unobserve();
        current.stop();
        await lease?.release().catch(noop);
        return;
      }
      closed = true;
      try {
        // From here a failing append rejects instead of retrying forever.
        await writer.close();
        const running = (current.getSnapshot() as { status?: string }).status !== 'stopped';
        if (running && (jo.compactOnClose ?? true)) await compact(false);
      } catch (error) {
        failure = error;
      }
      if (compactTimer !== undefined) clock.clearTimeout(compactTimer);
      await checks;
      unobserve();
      current.stop();
      // Events delivered while closing were journaled too; make them durable (or fail once).
      await writer.close().catch((error: unknown) => {
        failure ??= error;
      });
      removeHooks();
      await lease?.release().catch(noop);
      if (failure !== undefined) throw failure;
    },
  });
}
