import { createActor, type Actor, type AnyActorLogic } from 'xstate';
import type { AcquireOptions, CheckpointAdapter, Lease } from './adapter.js';
import type { Clock, TimerHandle } from './clock.js';
import { toCheckpointError, type CheckpointError } from './errors.js';
import { loadFromHistory } from './history.js';
import type { FollowOptions, ResolvedOptions } from './options.js';
import type { LoadedGeneration, RestoreReport } from './restore.js';
import { createRestoredActor } from './restored-actor.js';

export type { FollowOptions } from './options.js';

/** Options of {@link watchGenerations}. */
export interface WatchGenerationsOptions {
  /** Time source for polling. */
  readonly clock: Clock;
  /** Polling interval when the adapter has no `subscribe`. @default 1000 */
  readonly pollMs?: number;
  /**
   * With `subscribe`: also poll this often, for notices a frozen tab or a
   * dropped connection missed. @default 10000
   */
  readonly resyncMs?: number;
  /** Failures of `list()` while polling or of `onNewer` (watching goes on). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Calls `onNewer(seq)` whenever `key` gets a generation newer than any seen so
 * far (starting above `fromSeq`). Notices come from the adapter's `subscribe`
 * when it has one (IndexedDB: a `BroadcastChannel` between tabs), checked by
 * a slow poll every `resyncMs`; else from polling `list()` every `pollMs`. Calls never overlap: notices arriving while
 * `onNewer` runs are merged into one call with the newest sequence.
 *
 * @returns A function that stops watching.
 * @example
 * ```ts
 * import { systemClock, watchGenerations } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const stop = watchGenerations(memoryAdapter(), 'cart', 0, async (seq) => console.log('new generation', seq), {
 *   clock: systemClock,
 * });
 * stop();
 * ```
 */
export function watchGenerations(
  adapter: CheckpointAdapter,
  key: string,
  fromSeq: number,
  onNewer: (seq: number) => Promise<void>,
  options: WatchGenerationsOptions,
): () => void {
  const { clock } = options;
  const onError = options.onError ?? (() => undefined);
  let seen = fromSeq;
  let wanted = fromSeq;
  let running = false;
  let stopped = false;

  const drain = async () => {
    if (running) return;
    running = true;
    try {
      while (!stopped && wanted > seen) {
        const seq = wanted;
        seen = seq;
        await onNewer(seq).catch(onError);
      }
    } finally {
      running = false;
    }
  };
  const hint = (seq: number) => {
    if (stopped || seq <= wanted) return;
    wanted = seq;
    void drain();
  };

  const unsubscribe = adapter.subscribe?.(key, (notice) => hint(notice.seq));
  const pollMs = unsubscribe ? (options.resyncMs ?? 10_000) : (options.pollMs ?? 1000);
  let timer: TimerHandle;
  const poll = async () => {
    try {
      const [newest] = await adapter.list(key);
      if (newest) hint(newest.seq);
    } catch (error) {
      onError(error);
    }
    if (!stopped) timer = clock.setTimeout(() => void poll(), pollMs);
  };
  timer = clock.setTimeout(() => void poll(), pollMs);
  return () => {
    stopped = true;
    unsubscribe?.();
    clock.clearTimeout(timer);
  };
}

/** What follow mode needs from the persisted actor it runs in. */
export interface FollowHost<A> {
  readonly key: string;
  readonly adapter: CheckpointAdapter;
  readonly clock: Clock;
  readonly options: FollowOptions;
  readonly lockOptions: AcquireOptions;
  /** Verifies, decodes, migrates and validates one generation. */
  load(seq: number): Promise<LoadedGeneration>;
  /** A (not started) actor from a loaded snapshot; throws when it cannot be created. */
  create(snapshot: unknown): A;
  /** True once an actor is in place (mirrored or fresh). */
  hasActor(): boolean;
  /** True while this is still a follower that is not closed. */
  following(): boolean;
  closed(): boolean;
  /** Puts the mirrored actor in place; `announce` says whether to emit the `follow` event. */
  adopt(actor: A, generation: LoadedGeneration, seq: number, announce: boolean): void;
  /** Runs after the first mirror, before watching begins (the `restore` event goes out here). */
  ready(): void;
  /** The lock was taken (the host holds `lease` from now on, also for a `close()` already under way). */
  took(lease: Lease): void;
  /** Restores as the writer under the lease just taken (watching has stopped). */
  promote(): Promise<void>;
  onError(error: CheckpointError): void;
}

/**
 * Follow mode: mirrors the writer's newest readable generation (never
 * quarantining: the key belongs to the writer, whose own restore decides about
 * bad generations), follows each newer one, and, unless `takeOver: false`,
 * asks for the lock until it frees and then hands over to `host.promote`.
 *
 * @returns A function that stops watching for generations.
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { systemClock } from './clock.js';
 * import { followKey, type FollowHost } from './follow.js';
 * declare const host: Omit<FollowHost<ReturnType<typeof createActor>>, 'clock'>;
 * const stop = await followKey({ ...host, clock: systemClock });
 * stop();
 * ```
 */
export async function followKey<A>(host: FollowHost<A>): Promise<() => void> {
  const { key, adapter, options } = host;
  let mirrored = 0;
  const mirror = async (announce = true): Promise<void> => {
    for (const info of await adapter.list(key)) {
      if (info.seq <= mirrored && host.hasActor()) return;
      let generation: LoadedGeneration;
      let next: A;
      try {
        generation = await host.load(info.seq);
        next = host.create(generation.snapshot);
      } catch {
        continue;
      }
      if (!host.following()) return;
      mirrored = info.seq;
      host.adopt(next, generation, info.seq, announce);
      return;
    }
  };
  await mirror(false);
  host.ready();
  const stopWatching = watchGenerations(adapter, key, mirrored, () => mirror(), {
    clock: host.clock,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
    onError: (error) => host.onError(toCheckpointError(error, 'io', { key, adapter: adapter.name })),
  });
  if (options.takeOver !== false) void takeOver(host, stopWatching);
  return stopWatching;
}

/** Asks for the lock until it is free (or the follower closes), then promotes. */
async function takeOver<A>(host: FollowHost<A>, stopWatching: () => void): Promise<void> {
  const { key, adapter, clock } = host;
  const pollMs = host.options.pollMs ?? 1000;
  const sleep = () => new Promise<void>((resolve) => clock.setTimeout(resolve, pollMs));
  while (!host.closed()) {
    const asked = clock.now();
    let lease: Lease;
    try {
      // Adapters that queue lock requests (Web Locks) hand the lock over the moment it
      // frees; the others answer lock-held at once and are asked again after pollMs.
      // Each wait is short so that a closed follower lets go soon.
      lease = await adapter.acquire!(key, { ...host.lockOptions, waitMs: pollMs });
      host.took(lease);
    } catch (error) {
      const e = toCheckpointError(error, 'io', { key, adapter: adapter.name });
      if (e.code !== 'lock-held') host.onError(e);
      if (clock.now() - asked < pollMs / 2) await sleep();
      continue;
    }
    if (host.closed()) {
      await lease.release().catch(() => undefined);
      return;
    }
    stopWatching();
    await host.promote();
    return;
  }
}

/** The snapshot-mode state a follower reads and replaces (persist.ts's session). */
export interface FollowingSession<TLogic extends AnyActorLogic> {
  readonly options: ResolvedOptions<TLogic>;
  /** When `persistActor` was called (the `restore` event's duration counts from it). */
  readonly started: number;
  readonly closed: boolean;
  readonly role: 'writer' | 'follower';
  /** The mirrored actor; `undefined` until the first mirror. */
  current: Actor<TLogic> | undefined;
  restoreReport: RestoreReport;
  lease: Lease | undefined;
  /** Restores as the writer under the lease just taken. */
  promote(): Promise<void>;
}

/**
 * Runs {@link followKey} for a snapshot-mode session: mirrors go into
 * `session.current` and its report, the `follow` and `restore` events go out,
 * a lease taken is the session's, and `session.promote` takes over.
 *
 * @returns A function that stops watching for generations.
 * @example
 * ```ts
 * import type { AnyActorLogic } from 'xstate';
 * import { followAsSession, type FollowingSession } from './follow.js';
 * declare const session: FollowingSession<AnyActorLogic>;
 * const stop = await followAsSession(session);
 * stop();
 * ```
 */
export function followAsSession<TLogic extends AnyActorLogic>(session: FollowingSession<TLogic>): Promise<() => void> {
  const o = session.options;
  return followKey<Actor<TLogic>>({
    key: o.key,
    adapter: o.adapter,
    clock: o.clock,
    options: o.follow ?? {},
    lockOptions: o.lock ?? {},
    load: (seq) => loadFromHistory(o, seq),
    create: (snapshot) => createRestoredActor(o.logic, snapshot, o.actorOptions).actor,
    hasActor: () => session.current !== undefined,
    following: () => !session.closed && session.role === 'follower',
    closed: () => session.closed,
    adopt: (next, generation, seq, announce) => {
      session.current = next;
      const { storedVersion, migrationsApplied } = generation;
      session.restoreReport = { ...session.restoreReport, source: 'checkpoint', seq, storedVersion, migrationsApplied };
      if (announce) o.events.emit({ type: 'follow', key: o.key, seq });
    },
    ready: () => {
      session.current ??= createActor(o.logic, o.actorOptions);
      const report = { ...session.restoreReport, durationMs: o.clock.now() - session.started };
      session.restoreReport = report;
      o.events.emit({ type: 'restore', key: o.key, report, durationMs: report.durationMs });
    },
    took: (taken) => {
      session.lease = taken;
    },
    promote: () => session.promote(),
    onError: o.onError,
  });
}
