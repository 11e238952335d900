import type { JournalEntry } from './adapter.js';
import { crc32 } from './checksum.js';

/**
 * Bytes in front of every journal entry: payload length (uint32), seq and
 * epoch (float64), CRC-32 of the payload, then a CRC-32 of those 20 bytes.
 * The header has its own checksum so a damaged length is reported as damage,
 * never mistaken for the torn end of the journal.
 */
export const FRAME_HEADER = 28;

/**
 * Frames entries for an append-only log: each entry becomes header + payload
 * (see {@link FRAME_HEADER}), all in one buffer so one write stores the group.
 *
 * @example
 * ```ts
 * import { encodeJournalFrames } from 'xstate-checkpoint/journal';
 * const bytes = encodeJournalFrames([{ seq: 1, bytes: new Uint8Array([42]) }], 0);
 * ```
 */
export function encodeJournalFrames(entries: readonly JournalEntry[], epoch: number): Uint8Array {
  let size = 0;
  for (const e of entries) size += FRAME_HEADER + e.bytes.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of entries) {
    view.setUint32(at, e.bytes.length);
    view.setFloat64(at + 4, e.seq);
    view.setFloat64(at + 12, epoch);
    view.setUint32(at + 20, crc32(e.bytes));
    view.setUint32(at + 24, crc32(out, at, at + 24));
    out.set(e.bytes, at + FRAME_HEADER);
    at += FRAME_HEADER + e.bytes.length;
  }
  return out;
}

/** A place where scanning stopped. */
export interface FrameDamage {
  /** Offset of the first byte that is not part of a good entry. */
  readonly offset: number;
  readonly reason: string;
}

/** What {@link scanJournalFrames} found. */
export interface FrameScan {
  /** Good entries with `seq > afterSeq`, as views into the scanned bytes. */
  readonly entries: JournalEntry[];
  /** Offset just after the last good entry. */
  readonly end: number;
  /** Sequence and epoch of the last good entry (or the values passed in). */
  readonly lastSeq: number;
  readonly lastEpoch: number;
  /** Frames of a fenced writer that were skipped or superseded (see {@link scanJournalFrames}). */
  readonly stale: number;
  /** The bytes after `end` are an append that never finished. */
  readonly torn?: FrameDamage;
  /** The bytes after `end` are damaged (or out of order) and may hide later entries. */
  readonly corrupt?: FrameDamage;
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Walks framed entries, verifying each header and payload checksum and that
 * sequences increase. Stops at the first problem and classifies it: an entry
 * cut short at the end of the bytes (or a tail of zero bytes, which file
 * systems leave after a crash) is `torn`; anything else is `corrupt`.
 *
 * Fencing is read from the frames themselves, so writers need no I/O per
 * append to stay safe: a frame whose epoch is below the highest epoch seen so
 * far was appended by a writer fenced out before it wrote, and is skipped
 * (counted in `stale`). A frame of a higher epoch whose seq is at or below the
 * last one is the new owner continuing after what it restored: the entries
 * from that seq on were appended by the old owner after the hand-over, were
 * never acknowledged, and are dropped (counted in `stale` too). Journals
 * written before this rule never hold either pattern, so they read the same.
 * With `cutAfter`, a frame after that sequence is `corrupt` (entries the kit
 * could not decode, see `JournalStore.setAsideAfter`).
 *
 * @example
 * ```ts
 * import { encodeJournalFrames, scanJournalFrames } from 'xstate-checkpoint/journal';
 * const bytes = encodeJournalFrames([{ seq: 1, bytes: new Uint8Array([42]) }], 0);
 * scanJournalFrames(bytes, 0).entries.length; // 1
 * ```
 */
export function scanJournalFrames(
  bytes: Uint8Array,
  afterSeq: number,
  prevSeq = 0,
  prevEpoch = 0,
  into: JournalEntry[] = [],
  cutAfter = Number.MAX_SAFE_INTEGER,
): FrameScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = into;
  let at = 0;
  let lastSeq = prevSeq;
  let lastEpoch = prevEpoch;
  let stale = 0;
  const stop = (kind: 'torn' | 'corrupt', reason: string): FrameScan => {
    const damage = { offset: at, reason };
    const torn = kind === 'torn' || allZero(bytes, at);
    return torn
      ? { entries, end: at, lastSeq, lastEpoch, stale, torn: damage }
      : { entries, end: at, lastSeq, lastEpoch, stale, corrupt: damage };
  };
  while (at < bytes.length) {
    if (bytes.length - at < FRAME_HEADER) return stop('torn', 'an entry header is cut short');
    if (view.getUint32(at + 24) !== crc32(bytes, at, at + 24)) return stop('corrupt', 'entry header checksum mismatch');
    const length = view.getUint32(at);
    const seq = view.getFloat64(at + 4);
    const epoch = view.getFloat64(at + 12);
    const start = at + FRAME_HEADER;
    if (start + length > bytes.length) return stop('torn', 'an entry is cut short');
    if (view.getUint32(at + 20) !== crc32(bytes, start, start + length)) {
      return stop('corrupt', `entry ${seq} checksum mismatch`);
    }
    if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isSafeInteger(epoch) || epoch < 0) {
      return stop('corrupt', `entry ${seq} has an invalid seq or epoch`);
    }
    if (epoch < lastEpoch) {
      // A fenced writer's append, after the new owner's: never acknowledged, never replayed.
      stale++;
      at = start + length;
      continue;
    }
    if (seq <= lastSeq) {
      if (epoch === lastEpoch) return stop('corrupt', `entry ${seq} does not follow entry ${lastSeq}`);
      // The new owner continues after what it restored: what the old one appended from here on goes.
      while (entries.length > 0 && entries[entries.length - 1]!.seq >= seq) {
        entries.pop();
        stale++;
      }
      stale += Math.max(0, Math.min(lastSeq, afterSeq) - seq + 1);
    }
    // Entries the kit could not decode (`setAsideAfter`): damage from here on, like a bad checksum.
    if (seq > cutAfter) return stop('corrupt', `entry ${seq} was set aside: its bytes do not decode`);
    if (seq > afterSeq) entries.push({ seq, bytes: bytes.subarray(start, start + length) });
    lastSeq = seq;
    lastEpoch = epoch;
    at = start + length;
  }
  return { entries, end: at, lastSeq, lastEpoch, stale };
}
