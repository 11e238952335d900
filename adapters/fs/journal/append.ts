import type { JournalEntry } from '../../../src/adapter.js';
import { CheckpointError } from '../../../src/errors.js';
import { encodeJournalFrames } from '../../../src/journal-frame.js';
import { checkJournalOrder } from '../../../src/journal-order.js';
import { appendRefusal } from '../../shared/journal-refusal.js';
import { drain, writeGroup } from './group-writer.js';
import { ensureDir } from './key-folder.js';
import { createSegment } from './new-segment.js';
import { NAME, noteFailed, type JournalIo, type KeyState } from './state.js';
import { learnTail } from './tail.js';

/**
 * The part of an append after its order checks: learns the tail when it is
 * not known, refuses a fenced or repeated epoch/seq, then writes the group
 * (a new segment is durable before it returns; otherwise the returned
 * `durable` settles once the group is flushed).
 */
const appendAfterTail = async (
  io: JournalIo,
  s: KeyState,
  key: string,
  keyDir: string,
  entries: readonly JournalEntry[],
  epoch: number,
  last: number,
): Promise<{ durable?: Promise<void> }> => {
  const first = entries[0]!.seq;
  const dir = await ensureDir(io, s, key, keyDir);
  // Read once: a truncate beside this append may ask for a new segment meanwhile (the next append's).
  const roll = s.rollNext;
  // The steady state lists nothing and stats nothing: the tail is what this journal
  // last wrote. The folder is read once per key, after a failure and per new segment.
  if (!s.verified || !s.active || roll) {
    await drain(s);
    await learnTail(io, s, key, dir, first, epoch);
  }
  const keyEpoch = Math.max(s.lockEpoch, s.lastEpoch);
  const refused = appendRefusal({ adapter: NAME, key, first, epoch, keyEpoch, lastSeq: s.lastSeq });
  if (refused) throw refused;
  const frames = encodeJournalFrames(entries, epoch);
  if (!s.active || roll) {
    s.rollNext = false;
    try {
      await createSegment(io, s, dir, key, first, frames, epoch);
    } catch (error) {
      if (roll) s.rollNext = true;
      throw error;
    }
    s.lastSeq = last;
    s.lastEpoch = epoch;
    return {};
  }
  const written = await writeGroup(io, s, key, frames, first, epoch);
  s.lastSeq = last;
  s.lastEpoch = epoch;
  return written;
};

/**
 * One append of a key's group, run in the key's call order: checks the
 * entries' order and the epoch, refuses a group past a failed one of the
 * same epoch (no holes), then writes it. Resolves once the bytes are
 * written; the returned `durable` (if any) settles once they are flushed.
 *
 * @example
 * ```ts
 * const { durable } = await appendGroup(io, s, 'order-1', dir, [{ seq: 1, bytes }], 0);
 * await durable;
 * ```
 */
export async function appendGroup(
  io: JournalIo,
  s: KeyState,
  key: string,
  keyDir: string,
  entries: readonly JournalEntry[],
  epoch: number,
): Promise<{ durable?: Promise<void> }> {
  const last = checkJournalOrder(key, NAME, entries);
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new CheckpointError('invalid-option', {
      key,
      adapter: NAME,
      detail: `epoch must be a non-negative integer, got ${epoch}`,
    });
  }
  if (entries.length === 0) return {};
  const first = entries[0]!.seq;
  const failed = s.failed;
  if (failed && epoch === failed.epoch && first !== failed.seq) {
    throw new CheckpointError('io', {
      key,
      adapter: NAME,
      seq: first,
      detail: `the append of entries from ${failed.seq} on failed; they are appended again first`,
    });
  }
  // The failed entries again, or a newer owner (it continues after what it restored).
  if (failed && epoch >= failed.epoch) s.failed = undefined;
  try {
    return await appendAfterTail(io, s, key, keyDir, entries, epoch, last);
  } catch (error) {
    // A group that failed before its bytes were written leaves a hole too: the groups
    // behind it are refused until it comes again (the pipelined contract).
    noteFailed(s, first, epoch, error);
    throw error;
  }
}
