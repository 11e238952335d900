import type { CheckpointError } from './errors.js';
/**
 * What an adapter knows about one stored generation without reading its bytes.
 */
export interface GenerationInfo {
  /** Monotonic per key, starting at 1. The newest generation has the highest. */
  readonly seq: number;
  /** Fencing epoch of the writer that published it (0 when no lock was used). */
  readonly epoch: number;
  /** Length of the stored envelope in bytes. */
  readonly byteLength: number;
  /** Wall-clock time (ms since 1970) the writer created it. */
  readonly createdAt: number;
}

/** One generation to publish: its metadata and the exact envelope bytes. */
export interface CheckpointRecord extends GenerationInfo {
  /** The envelope bytes (`encodeEnvelope` of `xstate-checkpoint/adapter-kit`); stored and returned byte for byte. */
  readonly bytes: Uint8Array;
}

/** A generation moved aside because it could not be restored. Never deleted implicitly. */
export interface QuarantineInfo extends GenerationInfo {
  /** Opaque id, unique per key, used to read, release or delete it. */
  readonly id: string;
  readonly key: string;
  /** Why it was quarantined (an error code and message). */
  readonly reason: string;
  /** When it was quarantined (ms since 1970). */
  readonly quarantinedAt: number;
}

/** What an adapter promises. Declared, never sniffed. */
export interface AdapterCapabilities {
  /** `write()` resolves only once the bytes survive a process crash (and, for disks, power loss). */
  readonly durable: boolean;
  /** Compare-and-set and fencing hold across processes (or tabs) sharing the store. */
  readonly crossProcess: boolean;
  /** `acquire()` is implemented. */
  readonly locks: boolean;
}

/** Ownership of a key, returned by {@link CheckpointAdapter.acquire}. */
export interface Lease {
  /** The fencing epoch: pass it with every write; writes with a lower epoch are refused. */
  readonly epoch: number;
  /** Gives the key up. Idempotent. */
  release(): Promise<void>;
}

/** Options for {@link CheckpointAdapter.acquire}. */
export interface AcquireOptions {
  /**
   * Lease lifetime in ms for adapters that expire leases (server stores); a
   * holder that does not renew in time can be taken over.
   */
  readonly ttlMs?: number;
  /** Give up with `lock-held` after this many ms instead of waiting. Default: fail at once. */
  readonly waitMs?: number;
}

/** What {@link CheckpointAdapter.readNewest} returns. */
export interface NewestRead {
  /** Sequences of the key's generations, newest first (what `list` returns, without the details). */
  readonly seqs: number[];
  /** Highest sequence among the key's quarantined generations, 0 when none (never reused). */
  readonly quarantinedSeq: number;
  /**
   * The highest epoch among the key's listed generations (0 when none). A
   * fenced write never publishes, so epochs never decrease with `seq` and this
   * is also the newest generation's epoch; an adapter may answer with the
   * newest readable one's. It is what a writer without a lease writes with, so
   * none of the key's own generations fences it. Epochs handed out by `acquire`
   * are not included, so such a writer is still fenced by a lock holder.
   */
  readonly epoch: number;
  /** The newest generation that could be read, with its bytes exactly as `read` returns them. */
  readonly newest?: { readonly seq: number; readonly bytes: Uint8Array } | undefined;
}

/** A generation published by another writer, as {@link CheckpointAdapter.subscribe} announces it. */
export interface GenerationNotice {
  readonly key: string;
  readonly seq: number;
  readonly epoch: number;
}

/** One journaled event: its sequence and the encoded event bytes (opaque to the store). */
export interface JournalEntry {
  /** Position in the key's journal; strictly increasing. */
  readonly seq: number;
  /** The encoded event; stored and returned byte for byte. */
  readonly bytes: Uint8Array;
}

/** Where reading a journal stopped early, and why. */
export interface JournalDamage {
  /** Sequence of the last good entry before the damage (0 when there is none). */
  readonly afterSeq: number;
  /** Bytes (or rows) from the damage to the end of the journal. */
  readonly byteLength: number;
  /** What was found (an incomplete entry, a checksum mismatch, a gap...). */
  readonly reason: string;
}

/** What {@link JournalStore.read} returns. */
export interface JournalReadResult {
  /** Verified entries after the requested sequence, in order, up to the first damage. */
  readonly entries: JournalEntry[];
  /** An incomplete last append (a crash while appending): never acknowledged, cut by the next append. */
  readonly torn?: JournalDamage;
  /**
   * A damaged entry with data after it: reading stopped at the last good
   * entry. The next append sets the damaged part aside (kept, never deleted)
   * and continues after the last good entry.
   */
  readonly corrupt?: JournalDamage;
}

/**
 * An append-only event journal per key (journal mode of `persistActor`).
 *
 * Rules (the journal conformance cases check them):
 * - `append` is atomic (all entries or none) and, when the adapter is
 *   `durable`, durable when it resolves: one fsync or one transaction per call,
 *   which is what makes group commit cheap. Sequences must increase within
 *   the call and beyond the last stored entry (`conflict` otherwise); an epoch
 *   below the key's epoch is refused with `fenced`, as for `write`. New entries
 *   always follow the last good entry: a torn tail is cut and a corrupt part
 *   set aside first.
 * - `read` returns the entries after `afterSeq`, each verified against its own
 *   checksum, and stops at the first damage, which it reports.
 * - `truncate` drops entries up to `uptoSeq` (covered by a snapshot). Stores
 *   may reclaim space in larger units and keep some of them a while; readers
 *   always pass the sequence they need entries after.
 *
 * @example
 * ```ts
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const journal = memoryAdapter().journal!;
 * await journal.append('order-1', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * const { entries } = await journal.read('order-1', 0);
 * ```
 */
export interface JournalStore {
  /** Appends entries atomically (one durable write or transaction), fenced by `epoch`. */
  append(key: string, entries: readonly JournalEntry[], epoch: number): Promise<void>;
  /** Verified entries with `seq > afterSeq`, stopping at (and reporting) damage. */
  read(key: string, afterSeq: number): Promise<JournalReadResult>;
  /** Drops entries with `seq <= uptoSeq`. */
  truncate(key: string, uptoSeq: number): Promise<void>;
  /**
   * The entries after `afterSeq` are damage the store cannot see (their
   * frames and checksums are sound, but the kit cannot decode them): from
   * when this resolves, `read` stops after `afterSeq` and reports the rest as
   * `corrupt`, and the next append moves it aside (kept, never deleted) and
   * continues after `afterSeq`, as for damage `read` found itself. Optional:
   * without it, a journal holding such an entry refuses to restore
   * (`restore-failed`) until it is repaired by hand.
   */
  setAsideAfter?(key: string, afterSeq: number): Promise<void>;
  /**
   * The key's actor closed: let go of what the store holds open for it (the
   * file store's open segment), once the calls before settle. A later call
   * for the key opens again. Optional: stores that hold nothing per key leave
   * it out. Without it a long-lived adapter keeps one open file per key it
   * ever journaled, until `dispose()`.
   */
  release?(key: string): Promise<void>;
  /**
   * `append` may be called again for a key before the previous call settled
   * (the journal writer then keeps up to two groups in flight: one being
   * flushed, the next being written). The store applies the calls in call
   * order, resolves each only once it and every earlier one are durable, and
   * when one fails it fails every later call too until the failed entries are
   * appended again, so the log never gets a hole.
   * @default false
   */
  readonly pipelined?: boolean;
}

/**
 * The storage contract every adapter implements. Small on purpose: the kit
 * does envelopes, retention and restore; an adapter stores bytes per key and
 * sequence with compare-and-set.
 *
 * Rules every adapter follows (the conformance suite checks them):
 * - `write` publishes a new generation atomically: readers see all of it or
 *   none. It rejects with `conflict` when a generation with the same or a
 *   higher `seq` exists, and with `fenced` when `record.epoch` is lower than
 *   the key's current epoch (the highest epoch acquired or written).
 * - `list` returns generations newest first; `read` returns exactly the bytes
 *   written, or `undefined`.
 * - `quarantine` moves a generation out of `list` and keeps its bytes until
 *   `deleteQuarantined` is called.
 * - Every failure is a `CheckpointError` with the key and the adapter name.
 *
 * @example
 * ```ts
 * import type { CheckpointAdapter } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const adapter: CheckpointAdapter = memoryAdapter();
 * const newest = (await adapter.list('order-1'))[0];
 * ```
 */
export interface CheckpointAdapter {
  /** Short name used in errors and events (`memory`, `fs`, `indexeddb`, `postgres`, ...). */
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  /** Generations of `key`, newest first. Empty when none. */
  list(key: string): Promise<GenerationInfo[]>;
  /** The bytes of one generation, or `undefined` when it does not exist. */
  read(key: string, seq: number): Promise<Uint8Array | undefined>;
  /** Publishes a generation with compare-and-set on `seq` and fencing on `epoch`. */
  write(key: string, record: CheckpointRecord): Promise<void>;
  /** Deletes one generation (retention). Missing generations are ignored. */
  remove(key: string, seq: number): Promise<void>;
  /** Every key with at least one generation. */
  keys(): Promise<string[]>;
  /** Moves a generation aside with a reason; it leaves `list` and keeps its bytes. */
  quarantine(key: string, seq: number, reason: string): Promise<QuarantineInfo>;
  /** Quarantined generations, of one key or of all keys. */
  listQuarantine(key?: string): Promise<QuarantineInfo[]>;
  /** The bytes of a quarantined generation, or `undefined`. */
  readQuarantined(key: string, id: string): Promise<Uint8Array | undefined>;
  /** Deletes a quarantined generation for good. The only way quarantined bytes go away. */
  deleteQuarantined(key: string, id: string): Promise<void>;
  /**
   * Optional fast path for restore: the key's sequences, its epoch and the
   * newest generation's bytes in as few round trips as the store allows (the
   * file adapter: one folder read and one file read instead of a header read
   * per generation, a quarantine listing and a second file read).
   */
  readNewest?(key: string): Promise<NewestRead>;
  /**
   * Optional fast path for restoring many keys (`persistAll`): what
   * `readNewest` answers for each key, in the order of `keys`, or the typed
   * error it would reject with. Only a cheaper way to the same answers: each
   * one must be what `readNewest` (or `list`, `listQuarantine` and `read`)
   * returns for that key at some moment during the call (the file adapter
   * reads common key folders with synchronous calls in slices of a few
   * milliseconds, and the others with `readNewest`; the PostgreSQL adapter
   * answers every key in one statement).
   */
  readNewestMany?(keys: readonly string[]): Promise<Array<NewestRead | CheckpointError>>;
  /**
   * Calls `listener` when another writer publishes a generation of `key` (for
   * followers that mirror a key they do not own). Optional: without it,
   * followers poll `list`. Returns the unsubscribe function.
   */
  subscribe?(key: string, listener: (notice: GenerationNotice) => void): () => void;
  /** Takes ownership of `key` and bumps its fencing epoch. Present when `capabilities.locks`. */
  acquire?(key: string, options?: AcquireOptions): Promise<Lease>;
  /** Releases connections, handles and locks. Later calls reject with `closed`. */
  dispose(): Promise<void>;
  /** The key's event journal, for journal mode. Present when the adapter keeps one. */
  readonly journal?: JournalStore;
}
