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
  /** The envelope bytes ({@link encodeEnvelope}); stored and returned byte for byte. */
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
  /** Takes ownership of `key` and bumps its fencing epoch. Present when `capabilities.locks`. */
  acquire?(key: string, options?: AcquireOptions): Promise<Lease>;
  /** Releases connections, handles and locks. Later calls reject with `closed`. */
  dispose(): Promise<void>;
}
