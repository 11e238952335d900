import type { Clock } from '../../../src/clock.js';
import { CheckpointError, isCheckpointError } from '../../../src/errors.js';
import type { PublishState } from '../durable.js';
import type { JournalFileHandle, JournalFileSystem } from './types.js';

/**
 * The adapter name in the journal's errors.
 *
 * @example
 * ```ts
 * new CheckpointError('closed', { adapter: NAME });
 * ```
 */
export const NAME = 'fs';

/**
 * Does nothing: the rejection handler of best-effort clean-up.
 *
 * @example
 * ```ts
 * await handle.close().catch(noop);
 * ```
 */
export const noop = (): undefined => undefined;

/**
 * What every part of one journal shares: the file system, the clock (names of
 * set-aside parts, lease expiry), and the publish state of `publishFile`.
 *
 * @example
 * ```ts
 * const io: JournalIo = { fs, clock: systemClock, publishState: { linkUnsupported: false } };
 * ```
 */
export interface JournalIo {
  readonly fs: JournalFileSystem;
  readonly clock: Clock;
  readonly publishState: PublishState;
}

/**
 * The open segment a key's appends go to.
 *
 * @example
 * ```ts
 * const active: Active = { path, name: '0000000000000001.journal', handle, size: 0 };
 * ```
 */
export interface Active {
  readonly path: string;
  readonly name: string;
  readonly handle: JournalFileHandle;
  /** Bytes of good entries: where the next append starts. */
  size: number;
}

/**
 * A group in the active segment whose flush is pending.
 *
 * @example
 * ```ts
 * s.unflushed.push({ first, epoch, start, frames, fence, resolve, reject });
 * ```
 */
export interface Unflushed {
  readonly first: number;
  readonly epoch: number;
  /** Offset of its first byte in the segment. */
  readonly start: number;
  readonly frames: Uint8Array;
  /** The fencing check that runs beside its flush: its failure, if any. */
  readonly fence: Promise<CheckpointError | undefined>;
  readonly resolve: () => void;
  readonly reject: (error: CheckpointError) => void;
}

/**
 * What the journal knows of one key between calls.
 *
 * @example
 * ```ts
 * const s: KeyState = newKeyState();
 * ```
 */
export interface KeyState {
  chain: Promise<unknown>;
  /** Truncates, one after another beside the appends (see `fileJournal`). */
  truncating: Promise<unknown>;
  /** A truncate beside the appends removing segments: a verify waits for it. */
  removing: Promise<void> | undefined;
  dir?: string;
  /** The tail was checked (and repaired) by this journal: `lastSeq`, `lastEpoch` and `active` are current. */
  verified: boolean;
  active: Active | undefined;
  lastSeq: number;
  lastEpoch: number;
  /** The highest lock epoch in the key folder when this journal last listed it. */
  lockEpoch: number;
  /**
   * Start a new segment with the next append (after a truncate), so whole old
   * segments can go. Truncates set it beside the appends: an append reads it
   * once, and clears it when it starts that segment.
   */
  rollNext: boolean;
  /** Groups written to the active segment and waiting for a flush, in file order. */
  unflushed: Unflushed[];
  /** The flush loop, while one runs. */
  flushing: Promise<void> | undefined;
  /** The write of a group in progress (it resolves once the group is queued for its flush). */
  writing: Promise<void> | undefined;
  /** Rewriting unflushed groups after a failed flush: writes wait for it. */
  recovering: Promise<void> | undefined;
  /**
   * After a failure: appends of that epoch are refused until the entries from
   * `seq` come again (no holes). A newer epoch is another owner, who continues
   * after what it restored: it clears this.
   */
  failed: { readonly seq: number; readonly epoch: number } | undefined;
  /** The lock this process holds on the key, as `FileJournal.trustLease` was told. */
  lease: { readonly epoch: number; readonly until: number } | undefined;
  /** Entries after this seq do not decode (`setAsideAfter`): damage, until the next verify sets it aside. */
  cutAfter: number | undefined;
}

/**
 * The state of a key this journal has not touched yet: nothing verified, nothing open.
 *
 * @example
 * ```ts
 * states.set(key, newKeyState());
 * ```
 */
export function newKeyState(): KeyState {
  return {
    chain: Promise.resolve(),
    truncating: Promise.resolve(),
    removing: undefined,
    verified: false,
    cutAfter: undefined,
    active: undefined,
    lastSeq: 0,
    lastEpoch: 0,
    lockEpoch: 0,
    rollNext: false,
    unflushed: [],
    flushing: undefined,
    writing: undefined,
    recovering: undefined,
    failed: undefined,
    lease: undefined,
  };
}

/**
 * Notes that the append of `epoch`'s entries from `seq` on failed: that
 * writer's later groups are refused until these come again. A fenced writer
 * is not waited for (the new owner continues after what it restored), and an
 * older epoch's failure never replaces a newer one's.
 *
 * @example
 * ```ts
 * noteFailed(s, 41, 3, new CheckpointError('io', { key: 'k' })); // s.failed = { seq: 41, epoch: 3 }
 * ```
 */
export function noteFailed(s: KeyState, seq: number, epoch: number, error: unknown): void {
  if (isCheckpointError(error) && (error.code === 'fenced' || error.code === 'conflict')) return;
  const f = s.failed;
  if (!f || epoch > f.epoch) s.failed = { seq, epoch };
  else if (epoch === f.epoch) s.failed = { seq: Math.min(seq, f.seq), epoch };
}
