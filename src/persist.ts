import { createActor, type Actor, type ActorOptions, type AnyActorLogic } from 'xstate';
import type { AcquireOptions, CheckpointAdapter, GenerationInfo, Lease } from './adapter.js';
import { captureCheckpoint, rearmTimers, type PendingTimer } from './capture.js';
import { systemClock, type Clock } from './clock.js';
import { checkWritable, taggedJsonCodec, type Codec, type DecodeLimits } from './codec/index.js';
import { checkCompress, type CompressOptions } from './compression.js';
import { createRestoredActor, type RestoredActor } from './restored-actor.js';
import { announceRestore, buildRestoreReport } from './restore-report.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import type { JournalOptions } from './journal-options.js';
import {
  CheckpointEmitter,
  type CheckpointEvent,
  type CheckpointEventType,
  type CheckpointListener,
} from './events.js';
import { checkKey } from './keys.js';
import { followKey, type FollowOptions } from './follow.js';
import { installLifecycleHooks, withAsyncDispose, type AsyncDisposableLike, type LifecycleEnv } from './lifecycle.js';
import { checkMigrations, type Migrations } from './migrate.js';
import {
  freshReport,
  loadGeneration,
  restoreNewest,
  type LoadedGeneration,
  type OnRestoreError,
  type RestoreReport,
} from './restore.js';
import {
  checkRetention,
  explainRetention,
  pruneGenerations,
  type RetainedGeneration,
  type RetentionOptions,
} from './retention.js';
import { writeGeneration } from './save.js';
import { WriteScheduler, type DebounceOptions, type FlushInfo } from './scheduler.js';
import type { StandardSchema } from './validate.js';
import { trackTree } from './trigger.js';

/** Options of {@link persistActor}. */
export interface PersistOptions<TLogic extends AnyActorLogic> extends Pick<
  ActorOptions<TLogic>,
  'input' | 'inspect' | 'systemId' | 'logger' | 'id'
> {
  /** Names the actor's checkpoints in the adapter. Required. */
  readonly key: string;
  /** Where checkpoints go. Required. */
  readonly adapter: CheckpointAdapter;
  /** Version of the machine's persisted shape; bump it with a migration step. @default 1 */
  readonly version?: number;
  /** `migrations[n]` turns a version-`n` snapshot into version `n + 1`. @default {} */
  readonly migrations?: Migrations;
  /** Any Standard Schema (zod 4, valibot, arktype) for the context, checked after migration. */
  readonly schema?: StandardSchema;
  /** Debounce of checkpoint writes. @default { wait: 100, maxWait: 1000 } */
  readonly debounce?: DebounceOptions;
  /** Which generations to keep. @default { latest: 3 } */
  readonly retain?: RetentionOptions;
  /**
   * When a generation cannot be restored: `fallback` quarantines it and tries
   * older ones, then starts fresh; `fresh` starts fresh after the newest
   * fails; `throw` rejects with `restore-failed` and quarantines nothing.
   * @default 'fallback'
   */
  readonly onRestoreError?: OnRestoreError;
  /** Codec for new checkpoints. @default taggedJsonCodec */
  readonly codec?: Codec;
  /**
   * Gzip payloads from a size on (`CompressionStream`; no dependency). `true`
   * means `{ above: 64 * 1024 }`. Stored as envelope format 2; a payload that
   * does not shrink is stored as it is. Reading needs no option.
   * @default false
   */
  readonly compress?: boolean | CompressOptions;
  /** Further codecs accepted when reading (e.g. while switching codecs). @default [] */
  readonly readCodecs?: readonly Codec[];
  /** Caps on size, nesting and the number of values for decoding (see {@link DecodeLimits}). @default DEFAULT_LIMITS */
  readonly limits?: DecodeLimits;
  /** Time source for debouncing, deadlines and timestamps. @default systemClock */
  readonly clock?: Clock;
  /** Identity stored in each checkpoint and checked on restore. @default the machine's `id`, else 'actor' */
  readonly machineId?: string;
  /** Take the adapter's lock for the key before restoring; writes carry its fencing epoch. @default false */
  readonly lock?: boolean | AcquireOptions;
  /**
   * With `lock`: when another writer holds the key, follow it read-only
   * instead of rejecting with `lock-held`, and take over once the lock is
   * free. A follower's `actor` is not started: it mirrors the writer's newest
   * generation (replaced on each one, see the `follow` event) and processes
   * no events; `role` says which one this is.
   * @default false
   */
  readonly follow?: boolean | FollowOptions;
  /** Flush on SIGINT/SIGTERM/beforeExit (Node) and pagehide/hidden (browsers). @default true */
  readonly flushOnExit?: boolean;
  /** Where lifecycle signals come from. @default the globals */
  readonly lifecycle?: LifecycleEnv;
  /** Failed background writes (the actor keeps running). @default logs with console.error */
  readonly onError?: (error: CheckpointError) => void;
  /** Every {@link CheckpointEvent}. Same as `persisted.on('*', fn)`. */
  readonly onEvent?: (event: CheckpointEvent) => void;
  /**
   * `false` returns the writer's actor restored but not started, so that
   * `.on()`, `.subscribe()` and inspection see what entry actions and
   * children do at start; `persisted.start()` (or `persisted.actor.start()`)
   * starts it, re-arms its pending timers, opens writes and emits `restore`.
   * Until then `flush()` writes nothing and `close()` writes nothing. A
   * follower ignores it (its actor never starts); once it takes over, its
   * actor starts if `start()` was called.
   * @default true
   */
  readonly start?: boolean;
  /** Journal mode: every event is journaled durably (see `persistJournaled`, which types `send`). @default false */
  readonly journal?: boolean | JournalOptions;
}

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

/** A running actor whose state is checkpointed. */
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

function machineIdOf(logic: AnyActorLogic, explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const id = (logic as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 ? id : 'actor';
}

function checkOptions<TLogic extends AnyActorLogic>(logic: TLogic, o: PersistOptions<TLogic>, version: number): void {
  checkKey(o.key);
  const bad = (detail: string) => new CheckpointError('invalid-option', { key: o.key, detail });
  if (
    typeof logic !== 'object' ||
    logic === null ||
    typeof (logic as { transition?: unknown }).transition !== 'function'
  ) {
    throw bad('the first argument must be actor logic (a machine or fromPromise/fromCallback/... logic)');
  }
  if (!o.adapter || typeof o.adapter.write !== 'function') throw bad('`adapter` is required (e.g. memoryAdapter())');
  if (!Number.isInteger(version) || version < 1)
    throw bad(`\`version\` must be an integer >= 1, got ${String(version)}`);
  if (o.lock && !o.adapter.acquire) throw bad(`\`lock\` needs an adapter with locks; "${o.adapter.name}" has none`);
  if (o.follow && !o.lock) throw bad('`follow` needs `lock`: it follows whoever holds the lock');
  checkRetention(o.retain, o.key);
  checkCompress(o.compress, o.key);
  checkMigrations(o.migrations ?? {}, version);
}

/**
 * Restores an actor from its newest valid checkpoint (or starts it fresh),
 * starts it (unless `start: false`), and keeps checkpointing it: debounced writes with a max wait,
 * one in flight, verified restore with migrations and validation, pending
 * delayed events re-armed at their original deadlines.
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
  options: PersistOptions<TLogic>,
): Promise<PersistedActor<TLogic>> {
  if (options.journal) {
    if (options.follow) {
      throw new CheckpointError('invalid-option', {
        key: options.key,
        detail: '`follow` is not available in journal mode',
      });
    }
    return import('./journal.js').then((m) => m.persistJournaled(logic, options));
  }
  const version = options.version ?? 1;
  checkOptions(logic, options, version);
  const { key, adapter } = options;
  const clock = options.clock ?? systemClock;
  const codec = options.codec ?? taggedJsonCodec;
  const codecs = [codec, ...(options.readCodecs ?? []).filter((c) => c.id !== codec.id)];
  const machineId = machineIdOf(logic, options.machineId);
  const events = new CheckpointEmitter(options.onEvent);
  const started = clock.now();
  const lockOptions: AcquireOptions = typeof options.lock === 'object' ? options.lock : {};
  const followOptions: FollowOptions = typeof options.follow === 'object' ? options.follow : {};

  let lease: Lease | undefined;
  let role: 'writer' | 'follower' = 'writer';
  if (options.lock) {
    try {
      lease = await adapter.acquire!(key, lockOptions);
    } catch (error) {
      if (!options.follow || toCheckpointError(error, 'io').code !== 'lock-held') throw error;
      role = 'follower';
    }
  }

  const actorOptions: ActorOptions<TLogic> = {};
  for (const name of ['input', 'inspect', 'systemId', 'logger', 'id'] as const) {
    if (options[name] !== undefined) (actorOptions as Record<string, unknown>)[name] = options[name];
  }
  const restoreContext = { logic, machineId, version, migrations: options.migrations, schema: options.schema };
  const createFrom = (snapshot: unknown): RestoredActor<TLogic> => createRestoredActor(logic, snapshot, actorOptions);
  const load = (seq: number) => loadGeneration(adapter, key, seq, codecs, options.limits, restoreContext);

  // Writer state, set by becomeWriter (at once, or when a follower takes over).
  let nextSeq = 1;
  let epoch = 0;
  // Generations this writer knows of, newest first; listed on the first write when
  // the restore did not need a full listing (the adapter's readNewest).
  let known: GenerationInfo[] | undefined = [];
  let current: Actor<TLogic> = undefined as unknown as Actor<TLogic>;
  let report: RestoreReport = undefined as unknown as RestoreReport;
  let removeHooks = (): void => undefined;
  let closed = false;

  const onError =
    options.onError ??
    ((error: CheckpointError) => {
      console.error(`xstate-checkpoint: ${error.message}`);
    });

  const write = async (): Promise<FlushInfo> => {
    const t0 = clock.now();
    const snap = current.getSnapshot() as { status?: string };
    if (snap.status === 'stopped') {
      throw new CheckpointError('closed', {
        key,
        detail: 'the actor was stopped; a stopped snapshot is never written',
      });
    }
    const payload = codec.encode(captureCheckpoint(current));
    checkWritable(codec, payload, options.limits);
    known ??= await adapter.list(key).then(
      (list) => list.slice(),
      () => undefined, // listed again on the next write; pruning waits until then
    );
    const { seq, createdAt, bytes } = await writeGeneration({
      adapter,
      key,
      clock,
      fields: { machine: machineId, version, epoch, codec: codec.id },
      payload,
      compress: options.compress,
      // Claimed before each attempt: a failed write's sequence is never reused.
      claimSeq: (atLeast = 0) => {
        nextSeq = Math.max(nextSeq, atLeast);
        return nextSeq++;
      },
      known,
      retain: options.retain,
      onDropped: (removed) => events.emit({ type: 'prune', key, removed }),
      onError,
    });
    known?.unshift({ seq, epoch, createdAt, byteLength: bytes.length });
    await prune(seq);
    const info = { seq, byteLength: bytes.length, durationMs: clock.now() - t0 };
    events.emit({ type: 'save', key, ...info });
    return info;
  };

  const prune = async (keep: number, latest?: number, failed = onError) => {
    const retain = latest === undefined ? (options.retain ?? {}) : { latest };
    if (!known) return;
    const removed = await pruneGenerations(adapter, key, known, retain, clock.now(), keep, failed);
    if (removed.length > 0) events.emit({ type: 'prune', key, removed });
  };

  const scheduler = new WriteScheduler({
    clock,
    wait: options.debounce?.wait ?? 100,
    maxWait: options.debounce?.maxWait ?? 1000,
    write,
    onError: (error, attempt) => {
      const e = toCheckpointError(error, 'io', { key, adapter: adapter.name });
      // Another writer owns the key now: writing on would overwrite it logically.
      if (e.code === 'fenced' || e.code === 'conflict') scheduler.halt(e);
      events.emit({ type: 'save-error', key, error: e, attempt });
      onError(e);
    },
  });

  const { track, untrackAll } = trackTree(key, () => current, events, scheduler);

  const startActor = (actor: Actor<TLogic>, timers: readonly PendingTimer[]): number => {
    track(actor);
    actor.start();
    return rearmTimers(actor, timers, clock.now());
  };

  // With `start: false` the writer's actor waits for `persisted.start()` (or its own
  // `start()`): timers are armed, writes open and the `restore` event goes out then.
  let startWanted = options.start !== false;
  let launched = false;
  let pendingTimers: readonly PendingTimer[] = [];
  let needsWrite = false;
  const launch = () => {
    if (launched || role !== 'writer' || closed) return;
    launched = true;
    delete (current as { start?: unknown }).start; // the launchOnOwnStart hook, if any
    let timersRestored: number;
    try {
      timersRestored = startActor(current, pendingTimers);
    } catch (error) {
      // A start that fails keeps nothing: no subscription, no running actor (the caller releases the lock).
      untrackAll();
      current.stop();
      closed = true;
      throw toCheckpointError(error, 'invalid-state', { key, adapter: adapter.name });
    }
    report = { ...report, timersRestored };
    // Fresh, migrated or fallen-back state is written as a new generation at once
    // (the stored originals stay until retention drops them). A clean restore
    // writes nothing: a copy of the newest generation would push an older,
    // different one out of retention on every restart.
    if (needsWrite) scheduler.notify();
    else scheduler.settle();
    scheduler.open();
    if (options.flushOnExit !== false) removeHooks = installLifecycleHooks(() => scheduler.flush(), options.lifecycle);
    events.emit({ type: 'restore', key, report, durationMs: report.durationMs });
  };
  const startWriter = () => {
    startWanted = true;
    try {
      launch();
    } catch (error) {
      void lease?.release().catch(() => undefined);
      throw error;
    }
  };
  const launchOnOwnStart = (actor: Actor<TLogic>) => {
    // The XState habit (attach listeners, then `actor.start()`) must arm the timers too.
    Object.defineProperty(actor, 'start', {
      configurable: true,
      writable: true,
      value: () => {
        delete (actor as { start?: unknown }).start;
        if (actor === current) startWriter();
        else actor.start();
        return actor;
      },
    });
  };

  const becomeWriter = async (since: number): Promise<void> => {
    let outcome;
    try {
      outcome = await restoreNewest({
        ...restoreContext,
        adapter,
        key,
        codecs,
        limits: options.limits,
        onRestoreError: options.onRestoreError ?? 'fallback',
        accept: (prepared) => createFrom(prepared.data.snapshot),
        onQuarantine: (seq, reason) => events.emit({ type: 'quarantine', key, seq, reason }),
      });
    } catch (error) {
      await lease?.release().catch(() => undefined);
      throw error;
    }
    nextSeq = outcome.newestSeq + 1;
    epoch = lease?.epoch ?? outcome.newestEpoch;
    known = outcome.generations?.slice();
    const accepted = outcome.accepted;
    current = accepted?.value.actor ?? createActor(logic, actorOptions);
    role = 'writer';
    pendingTimers = accepted?.prepared.data.timers ?? [];
    report = buildRestoreReport(outcome, accepted?.value, clock.now() - since);
    needsWrite = !accepted || report.migrationsApplied.length > 0 || report.rejected.length > 0;
    announceRestore(key, adapter.name, report, { logger: options.logger, onError: options.onError });
    if (!startWanted) return launchOnOwnStart(current);
    try {
      launch();
    } catch (error) {
      await lease?.release().catch(() => undefined);
      throw error;
    }
  };

  let stopWatching = (): void => undefined;
  /** A follower took the lock: it restores as the writer and stops its mirror. */
  const promote = async (): Promise<void> => {
    const follower = current;
    const since = clock.now();
    try {
      await becomeWriter(since);
    } catch (error) {
      lease = undefined;
      onError(toCheckpointError(error, 'restore-failed', { key, adapter: adapter.name }));
      return;
    }
    follower.stop();
    if (closed) {
      // close() ran while restoring: it stopped the mirror, not this writer.
      await scheduler.close().catch(() => undefined);
      untrackAll();
      current.stop();
      removeHooks();
      await lease?.release().catch(() => undefined);
      return;
    }
    events.emit({ type: 'promote', key, epoch });
  };

  if (role === 'writer') {
    await becomeWriter(started);
  } else {
    report = freshReport(0);
    stopWatching = await followKey<Actor<TLogic>>({
      key,
      adapter,
      clock,
      options: followOptions,
      lockOptions,
      load,
      create: (snapshot) => createFrom(snapshot).actor,
      hasActor: () => current !== undefined,
      following: () => !closed && role === 'follower',
      closed: () => closed,
      adopt: (next, generation, seq, announce) => {
        current = next;
        report = {
          ...report,
          source: 'checkpoint',
          seq,
          storedVersion: generation.storedVersion,
          migrationsApplied: generation.migrationsApplied,
        };
        if (announce) events.emit({ type: 'follow', key, seq });
      },
      ready: () => {
        if (current === undefined) current = createActor(logic, actorOptions);
        report = { ...report, durationMs: clock.now() - started };
        events.emit({ type: 'restore', key, report, durationMs: report.durationMs });
      },
      took: (taken) => {
        lease = taken;
      },
      promote,
      onError,
    });
  }

  const assertWriter = (what: string) => {
    if (closed) throw new CheckpointError('closed', { key });
    if (role !== 'writer') {
      throw new CheckpointError('lock-held', { key, detail: `a follower cannot ${what}: the writer owns the key` });
    }
  };
  /** Stops the running actor, starts `next` in its place and writes its state as a new generation. */
  const replaceActor = async (next: Actor<TLogic>, timers: readonly PendingTimer[]) => {
    untrackAll();
    current.stop();
    current = next;
    const timersRestored = startActor(next, timers);
    scheduler.notify();
    return { info: (await scheduler.flush())!, timersRestored };
  };

  return withAsyncDispose<Omit<PersistedActor<TLogic>, keyof AsyncDisposableLike>>({
    get actor() {
      return current;
    },
    key,
    get role() {
      return role;
    },
    get restored() {
      return report;
    },
    // A follower, or a writer not started yet, has nothing of its own to write.
    flush: () => (role === 'writer' && launched ? scheduler.flush() : Promise.resolve(undefined)),
    start: startWriter,
    on: (type, listener) => events.on(type, listener),
    history: {
      list: async () => explainRetention(await adapter.list(key), options.retain ?? {}, clock.now()),
      load,
      async rollback(seq) {
        assertWriter('roll back');
        const target = await load(seq);
        launch(); // a rollback before start() starts the actor it replaces, so writes are open
        await scheduler.flush().catch(() => undefined);
        const next = createFrom(target.snapshot).actor;
        const { info, timersRestored: timers } = await replaceActor(next, target.timers);
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
      assertWriter('clear the key');
      launch(); // before start(): the actor it replaces starts first, so writes are open
      const t0 = clock.now();
      const { info } = await replaceActor(createActor(logic, actorOptions), []);
      events.emit({ type: 'restore', key, durationMs: clock.now() - t0, report: freshReport(clock.now() - t0) });
      // Only after the fresh state is durable: a crash in between restores it, not the old history.
      known ??= (await adapter.list(key)).slice();
      const failures: CheckpointError[] = [];
      await prune(info.seq, 1, (error) => failures.push(error));
      if (failures.length > 0) throw failures[0]!;
      return info;
    },
    async close() {
      if (closed) return;
      closed = true;
      stopWatching();
      let failure: unknown;
      // A writer never started writes nothing: its actor holds no re-armed timers yet.
      if (!launched) scheduler.halt(new CheckpointError('closed', { key, detail: 'closed before start()' }));
      try {
        await scheduler.close();
      } catch (error) {
        failure = error;
      }
      untrackAll();
      current.stop();
      removeHooks();
      await lease?.release().catch(() => undefined);
      if (failure !== undefined) throw failure;
    },
  });
}
