import type { AnyActorLogic } from 'xstate';
import type { CheckpointAdapter, GenerationInfo } from './adapter.js';
import type { CheckpointData, PendingTimer } from './capture.js';
import type { Codec, DecodeLimits } from './codec/index.js';
import { inflatePayload } from './compression.js';
import { checkStoredSeq, openEnvelope, type EnvelopeHeader } from './envelope.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import type { Migrations } from './migrate.js';
import { onDemand, withParts } from './on-demand.js';
import { readNewestOf } from './read-newest.js';
import { checkTimerPaths } from './stored-ids.js';
import type { DroppedRef } from './refs.js';
import type { StandardSchema } from './schema.js';
import { validateSnapshot } from './validate.js';

/** A checkpoint as `PersistedHistory.load` returns it. */
export interface LoadedGeneration {
  readonly seq: number;
  readonly storedVersion: number;
  readonly createdAt: number;
  /** The persisted snapshot, migrated to the running version. */
  readonly snapshot: unknown;
  readonly timers: PendingTimer[];
  readonly migrationsApplied: number[];
}

/** A checkpoint after verification and decoding, before migration. */
export interface DecodedCheckpoint {
  readonly header: EnvelopeHeader;
  readonly data: CheckpointData;
}

function isTimer(t: unknown): t is PendingTimer {
  if (typeof t !== 'object' || t === null) return false;
  const r = t as Record<string, unknown>;
  const ids = (p: unknown) => Array.isArray(p) && p.every((x) => typeof x === 'string');
  const event = r['event'] as Record<string, unknown> | null;
  return (
    ids(r['source']) &&
    ids(r['target']) &&
    typeof r['id'] === 'string' &&
    typeof r['deadline'] === 'number' &&
    Number.isFinite(r['deadline']) &&
    typeof event === 'object' &&
    event !== null &&
    typeof event['type'] === 'string'
  );
}

/**
 * Step 1 of restore: verifies the envelope (length, CRC-32 of the stored
 * bytes, and, when `storedSeq` is given, that the header's `seq` is the
 * sequence the bytes are stored under), inflates a compressed payload (capped
 * by `limits.maxBytes`), picks the codec named in its header and decodes the
 * payload into checkpoint data. Throws `corrupt`, `decode`, `too-large` or a
 * codec safety error.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * import { decodeCheckpoint } from 'xstate-checkpoint/pipeline';
 * declare const bytes: Uint8Array;
 * const { header, data } = await decodeCheckpoint(bytes, [taggedJsonCodec], undefined, 7);
 * ```
 */
export async function decodeCheckpoint(
  bytes: Uint8Array,
  codecs: readonly Codec[],
  limits?: DecodeLimits,
  storedSeq?: number,
): Promise<DecodedCheckpoint> {
  const opened = openEnvelope(bytes);
  const { header } = opened;
  if (storedSeq !== undefined) checkStoredSeq(header, storedSeq);
  const codec = codecs.find((c) => c.id === header.codec);
  if (!codec) {
    throw new CheckpointError('decode', {
      seq: header.seq,
      detail: `codec "${header.codec}" is not configured (have: ${codecs.map((c) => c.id).join(', ')}); pass it in the codec option`,
    });
  }
  // A damaged stream is a CheckpointError; the compression code failing to load is `io` (not the data).
  const raw = await inflatePayload(header, opened.payload, limits);
  // The default codec loads its rich part with the first payload that needs it.
  const decoded = await withParts(() => codec.decode(raw, limits));
  const d = decoded as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null || typeof d['snapshot'] !== 'object' || d['snapshot'] === null) {
    throw new CheckpointError('decode', {
      seq: header.seq,
      detail: 'payload is not a checkpoint (no snapshot object)',
    });
  }
  const timers = d['timers'] ?? [];
  if (!Array.isArray(timers) || !timers.every(isTimer)) {
    throw new CheckpointError('decode', { seq: header.seq, detail: 'payload has malformed pending timers' });
  }
  return { header: legacyJournal(header, d), data: { snapshot: d['snapshot'], timers } };
}

/** Journal generations written before the header carried `journal` kept it in the payload: read it from there. */
function legacyJournal(header: EnvelopeHeader, payload: Record<string, unknown>): EnvelopeHeader {
  if (header.journal !== undefined || !Object.hasOwn(payload, 'journal')) return header;
  const journal = payload['journal'];
  return Number.isSafeInteger(journal) && (journal as number) >= 0 ? { ...header, journal: journal as number } : header;
}

/**
 * Step 2: refuses a checkpoint written by another machine (`machine-mismatch`).
 *
 * @example
 * ```ts
 * import type { EnvelopeHeader } from 'xstate-checkpoint/adapter-kit';
 * import { checkIdentity } from 'xstate-checkpoint/pipeline';
 * declare const header: EnvelopeHeader;
 * checkIdentity(header, 'order');
 * ```
 */
export function checkIdentity(header: EnvelopeHeader, machineId: string): void {
  if (header.machine !== machineId) {
    throw new CheckpointError('machine-mismatch', {
      seq: header.seq,
      detail: `written by machine "${header.machine}", this is "${machineId}"`,
    });
  }
}

/** What the restore steps need to know about the running code. */
export interface RestoreContext {
  readonly logic: AnyActorLogic;
  readonly machineId: string;
  readonly version: number;
  readonly migrations?: Migrations | undefined;
  readonly schema?: StandardSchema | undefined;
}

/** Codes that say nothing about the stored data: a generation or entry failing with one is never set aside. */
export const STORAGE_FAILURES: readonly string[] = [
  'io',
  'connection',
  'auth',
  'driver-missing',
  'permission',
  'closed',
  'timeout',
];
const rejecting = /* @__PURE__ */ onDemand('the restore fallback code', () => import('./restore-reject.js'));
// Loaded for a checkpoint that needs them; a failed load is `io`, so the generation is not quarantined.
const migrate = /* @__PURE__ */ onDemand('the migration code', () => import('./migrate.js'));
const schema = /* @__PURE__ */ onDemand('the schema check', () => import('./schema.js'));

/** Result of {@link prepareCheckpoint}. */
export interface PreparedCheckpoint {
  readonly data: CheckpointData;
  readonly applied: number[];
}

/**
 * Steps 2-4: identity, migration chain, validation (schema on the context,
 * state value and children against the machine). Returns data ready for
 * `createActor(logic, { snapshot })`.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { prepareCheckpoint, type DecodedCheckpoint } from 'xstate-checkpoint/pipeline';
 * declare const decoded: DecodedCheckpoint;
 * const machine = createMachine({ id: 'm' });
 * const { data } = await prepareCheckpoint(decoded, { logic: machine, machineId: 'm', version: 1 });
 * ```
 */
export async function prepareCheckpoint(decoded: DecodedCheckpoint, ctx: RestoreContext): Promise<PreparedCheckpoint> {
  const { header } = decoded;
  checkIdentity(header, ctx.machineId);
  // The migration and schema code loads only for a checkpoint that needs it.
  const { snapshot, applied } =
    header.version === ctx.version
      ? { snapshot: decoded.data.snapshot, applied: [] }
      : (await migrate.load()).migrateSnapshot(decoded.data.snapshot, header.version, ctx.version, ctx.migrations);
  validateSnapshot(ctx.logic, snapshot);
  checkTimerPaths(snapshot, decoded.data.timers);
  if (ctx.schema) {
    const s = snapshot as Record<string, unknown>;
    s['context'] = await (await schema.load()).validateContext(ctx.schema, s['context']);
  }
  return { data: { snapshot, timers: decoded.data.timers }, applied };
}

/** One generation that could not be restored, and why. */
export interface RejectedGeneration {
  readonly seq: number;
  readonly code: string;
  readonly message: string;
  /** Whether it was moved to quarantine (a read-only store keeps it listed instead). */
  readonly quarantined: boolean;
  /** Its id in the quarantine (`xstate-checkpoint quarantine restore <key> <id>` brings it back). */
  readonly quarantineId?: string;
}

/** What restore did: where the actor came from and every generation it passed over. */
export interface RestoreReport {
  /** `checkpoint` when restored from a generation, `fresh` when started new. */
  readonly source: 'fresh' | 'checkpoint';
  /** The generation restored from. */
  readonly seq?: number;
  /** The machine version it was stored with. */
  readonly storedVersion?: number;
  /** Migration steps applied (`[1, 2]` = 1→2 and 2→3). */
  readonly migrationsApplied: number[];
  /** Newer generations that failed, newest first. */
  readonly rejected: RejectedGeneration[];
  /** Sequences moved to quarantine during this restore. */
  readonly quarantined: number[];
  /** Delayed events re-armed after start (with `start: false`, counted when `start()` arms them). */
  readonly timersRestored: number;
  /**
   * Invoked promises, callbacks and observables of a restored actor start
   * again from the beginning (XState re-runs them); true when the restored
   * tree holds an active one.
   */
  readonly invocationsRestarted: boolean;
  /**
   * Stored actor references whose actor no longer exists (a stopped child
   * kept in a list, an actor of another system): each became `undefined`,
   * as in XState. References to actors of the restored tree come back live.
   */
  readonly droppedRefs: DroppedRef[];
  readonly durationMs: number;
}

/**
 * The report of an actor started new, with nothing passed over (a follower
 * before its first mirror, an actor after `clear()`).
 *
 * @example
 * ```ts
 * import { freshReport } from './restore.js';
 * freshReport(0).source; // 'fresh'
 * ```
 */
export function freshReport(durationMs: number): RestoreReport {
  return {
    source: 'fresh',
    migrationsApplied: [],
    rejected: [],
    quarantined: [],
    timersRestored: 0,
    invocationsRestarted: false,
    droppedRefs: [],
    durationMs,
  };
}

/** How restore reacts when a generation fails. */
export type OnRestoreError = 'fallback' | 'fresh' | 'throw';

/** Options of {@link restoreNewest}. */
export interface RestoreNewestOptions<T> extends RestoreContext {
  readonly adapter: CheckpointAdapter;
  readonly key: string;
  readonly codecs: readonly Codec[];
  readonly limits?: DecodeLimits | undefined;
  readonly onRestoreError: OnRestoreError;
  /** Creates the actor from prepared data; a throw (or rejection) counts as an invalid generation. */
  readonly accept: (prepared: PreparedCheckpoint, header: EnvelopeHeader) => T | Promise<T>;
  readonly onQuarantine?: (seq: number, reason: string) => void;
}

/** Result of {@link restoreNewest}. */
export interface RestoreOutcome<T> {
  readonly accepted?: { readonly value: T; readonly header: EnvelopeHeader; readonly prepared: PreparedCheckpoint };
  readonly rejected: RejectedGeneration[];
  readonly quarantined: number[];
  /** Highest sequence seen (including quarantined), so the next write does not collide. */
  readonly newestSeq: number;
  readonly newestEpoch: number;
  /**
   * The key's generations after this restore (the listing, without those it
   * quarantined), newest first; `undefined` when the adapter's `readNewest`
   * served the restore without a full listing.
   */
  readonly generations: GenerationInfo[] | undefined;
}

const safe = (n: number): number => (Number.isSafeInteger(n) && n >= 0 ? n : 0);

/**
 * The restore loop: newest generation first through decode → identity →
 * migrate → validate → accept. A failing generation is quarantined (kept,
 * never deleted) and the next older one tried (`fallback`); `fresh` stops
 * after the newest; `throw` quarantines nothing and throws `restore-failed`
 * with the report. A stored version newer than the code always throws
 * `version-too-new`: it is not damaged, and skipping it would let retention
 * delete newer data.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * import { restoreNewest } from 'xstate-checkpoint/pipeline';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const machine = createMachine({ id: 'm' });
 * const outcome = await restoreNewest({
 *   adapter: memoryAdapter(), key: 'k', codecs: [taggedJsonCodec], logic: machine, machineId: 'm', version: 1,
 *   onRestoreError: 'fallback',
 *   accept: ({ data }) => createActor(machine, { snapshot: data.snapshot as never }),
 * });
 * ```
 */
export async function restoreNewest<T>(o: RestoreNewestOptions<T>): Promise<RestoreOutcome<T>> {
  const rejected: RejectedGeneration[] = [];
  const quarantined: number[] = [];
  const {
    seqs: listedSeqs,
    generations: listed,
    epoch,
    newest: prefetched,
    ...found
  } = await readNewestOf(o.adapter, o.key);
  // Storage is hostile: a seq or epoch that is no safe integer (a stray Redis member "abc", a
  // bigint row above 2^53) is nothing this kit wrote, and taken as one it made the next write's
  // seq or epoch unsafe, so every write failed. The rest go newest first, whatever order the
  // store gave (a reordered browser index): the first that restores wins.
  const seqs = listedSeqs.filter((s) => safe(s) > 0).sort((a, b) => b - a);
  const newestEpoch = safe(epoch);
  let newestSeq = Math.max(0, ...seqs, safe(found.quarantinedSeq));
  const remaining = () => listed?.filter((g) => safe(g.seq) > 0 && !quarantined.includes(g.seq));
  for (const seq of seqs) {
    try {
      const bytes = prefetched?.seq === seq ? prefetched.bytes : await o.adapter.read(o.key, seq);
      if (bytes === undefined) {
        // Gone from the listing too: pruned by another writer since. Still listed: its bytes
        // are lost (a deleted Redis field, a missing item), damage to report, not skip in silence.
        if (!(await o.adapter.list(o.key)).some((g) => g.seq === seq)) continue;
        throw new CheckpointError('corrupt', { seq, detail: 'the generation is listed but its bytes are missing' });
      }
      const decoded = await decodeCheckpoint(bytes, o.codecs, o.limits, seq);
      const prepared = await prepareCheckpoint(decoded, o);
      let value: T;
      try {
        value = await o.accept(prepared, decoded.header);
      } catch (cause) {
        throw toCheckpointError(cause, 'invalid-state', { seq });
      }
      return {
        accepted: { value, header: decoded.header, prepared },
        rejected,
        quarantined,
        newestSeq,
        newestEpoch,
        generations: remaining(),
      };
    } catch (caught) {
      const error = toCheckpointError(caught, 'decode', { key: o.key, adapter: o.adapter.name, seq });
      // Storage failures say nothing about the data, and a newer version is not damage: never quarantined.
      if (error.code === 'version-too-new' || STORAGE_FAILURES.includes(error.code)) throw error;
      // The fallback code loads only when a generation fails (a failed load is `io`: thrown, nothing quarantined).
      if (!(await (await rejecting.load()).rejectGeneration(o, error, { rejected, quarantined }))) break;
    }
  }
  newestSeq = Math.max(newestSeq, ...rejected.map((r) => r.seq));
  return { rejected, quarantined, newestSeq, newestEpoch, generations: remaining() };
}

/**
 * Reads one generation and runs it through the restore steps (verify, decode,
 * identity, migrate, validate): what `history.load` returns. Throws
 * `not-found` when the generation does not exist.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * import { loadGeneration } from 'xstate-checkpoint/pipeline';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const machine = createMachine({ id: 'm' });
 * const ctx = { logic: machine, machineId: 'm', version: 1 };
 * await loadGeneration(memoryAdapter(), 'k', 1, [taggedJsonCodec], undefined, ctx).catch(() => undefined);
 * ```
 */
export async function loadGeneration(
  adapter: CheckpointAdapter,
  key: string,
  seq: number,
  codecs: readonly Codec[],
  limits: DecodeLimits | undefined,
  ctx: RestoreContext,
): Promise<LoadedGeneration> {
  const bytes = await adapter.read(key, seq);
  if (bytes === undefined) throw new CheckpointError('not-found', { key, adapter: adapter.name, seq });
  const decoded = await decodeCheckpoint(bytes, codecs, limits, seq);
  const prepared = await prepareCheckpoint(decoded, ctx);
  return {
    seq,
    storedVersion: decoded.header.version,
    createdAt: decoded.header.createdAt,
    snapshot: prepared.data.snapshot,
    timers: prepared.data.timers,
    migrationsApplied: prepared.applied,
  };
}
