import { dirname, join } from 'node:path';
import { CheckpointError } from '../../../src/errors.js';
import { errnoOf, fsError, syncDir } from '../durable.js';
import { confirmNotFenced } from '../lock.js';
import { cutBack } from './group-writer.js';
import { segmentName } from './segment.js';
import { NAME, noop, type Active, type JournalIo, type KeyState } from './state.js';
import type { JournalFileHandle } from './types.js';

/**
 * One `write` + `fdatasync` of a group. The fencing check (a listing of the
 * key folder for a newer lock) runs beside the flush instead of before the
 * write or after the flush, so it adds no I/O to the group's path: it starts
 * once the bytes are in the file, so a new owner that took the lock after
 * the listing read them when it restored (and continues after them), and
 * one that took it before is in the listing (the group is not
 * acknowledged). Returns that check's failure, if any, for the caller to
 * throw once its state is updated: the bytes are durable either way.
 */
const write = async (
  io: JournalIo,
  s: KeyState,
  active: Active,
  frames: Uint8Array,
  key: string,
  seq: number,
  epoch: number,
): Promise<CheckpointError | undefined> => {
  const previous = active.size;
  for (let attempt = 1; ; attempt++) {
    let step = 'append to the journal';
    let fence: Promise<CheckpointError | undefined> | undefined;
    try {
      await active.handle.writeFile(frames);
      step = 'fdatasync the journal';
      fence = confirmNotFenced({ fs: io.fs, dir: dirname(active.path), key }, epoch, seq).then(
        () => undefined,
        (error: unknown) => fsError(error, key, 'check the lock after appending', seq),
      );
      await active.handle.datasync();
      active.size = previous + frames.length;
      return await fence;
    } catch (error) {
      const fenced = await fence;
      // Fenced: nothing of this writer's is acknowledged, and its frames are skipped by readers.
      if (fenced?.code === 'fenced') throw fenced;
      await cutBack(s, active, previous, frames.length);
      // After a failed flush the kernel may have dropped the pages: rewrite them once from memory.
      if (step === 'fdatasync the journal' && attempt === 1 && s.verified) continue;
      s.verified = false;
      throw fsError(error, key, step, seq);
    }
  }
};

/**
 * Starts a new segment `<firstSeq>.journal` with its first group: written,
 * flushed and made durable in its folder (that fsync runs beside the write
 * and flush) before it returns, then it becomes the active segment (the
 * previous one is closed).
 *
 * @example
 * ```ts
 * await createSegment(io, s, dir, 'order-1', 31, encodeJournalFrames(entries, 4), 4);
 * ```
 */
export async function createSegment(
  io: JournalIo,
  s: KeyState,
  dir: string,
  key: string,
  firstSeq: number,
  frames: Uint8Array,
  epoch: number,
): Promise<void> {
  const { fs } = io;
  const path = join(dir, segmentName(firstSeq));
  let handle: JournalFileHandle;
  try {
    handle = await fs.open(path, 'ax+');
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') {
      throw new CheckpointError('conflict', {
        key,
        adapter: NAME,
        seq: firstSeq,
        detail: `journal segment ${firstSeq} exists`,
      });
    }
    throw fsError(error, key, 'create a journal segment', firstSeq);
  }
  const active: Active = { path, name: segmentName(firstSeq), handle, size: 0 };
  // The new name is made durable beside the group's write and flush, so the two syncs share one wait.
  const named = syncDir(fs, dir);
  named.catch(noop); // awaited below, also when the write fails first
  try {
    // A fenced writer's new segment goes again (unless the owner appended to it, below):
    // a later name could hide the owner's entries.
    const fenced = await write(io, s, active, frames, key, firstSeq, epoch);
    if (fenced) throw fenced;
    await named;
  } catch (error) {
    await named.catch(noop);
    // A file grown past these bytes has a new owner's entries after them: it read this
    // writer's and continues in this segment, so removing it would lose acknowledged ones.
    const size = await handle.stat().then(
      (st) => st.size,
      () => Number.POSITIVE_INFINITY,
    );
    await handle.close().catch(noop);
    if (size <= frames.length) await fs.unlink(path).catch(noop);
    throw fsError(error, key, 'create a journal segment', firstSeq);
  }
  const old = s.active;
  s.active = active;
  await old?.handle.close().catch(noop);
}
