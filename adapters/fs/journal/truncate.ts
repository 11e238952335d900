import { join } from 'node:path';
import { fsError, syncDir } from '../durable.js';
import { drain } from './group-writer.js';
import { coveredBy, readNames, segmentsOf } from './segment.js';
import { missing, noop, type JournalIo, type KeyState } from './state.js';

/**
 * Removes the segments of the key folder `dir` whose entries are all at or
 * below `uptoSeq` (whole segments only, checked by what they hold, not by
 * their names), and makes the next append start a new segment when the
 * last one is covered too, so it can go with a later truncate.
 *
 * @example
 * ```ts
 * await truncateJournal(io, s, 'order-1', dir, 30);
 * ```
 */
export async function truncateJournal(
  io: JournalIo,
  s: KeyState,
  key: string,
  dir: string,
  uptoSeq: number,
): Promise<void> {
  const { fs } = io;
  await drain(s);
  const segments = segmentsOf(await readNames(fs, dir, key));
  let removed = false;
  for (let i = 0; i + 1 < segments.length; i++) {
    if (segments[i + 1]!.firstSeq > uptoSeq + 1) break;
    const path = join(dir, segments[i]!.name);
    // The names only suggest the segment is covered (a fenced writer's leftover can carry a later
    // name): it goes only when what it holds says so.
    if (!(await coveredBy(fs, path, key, uptoSeq))) break;
    if (s.active?.path === path) {
      await s.active.handle.close().catch(noop);
      s.active = undefined;
      s.verified = false;
    }
    await fs.unlink(path).catch((error: unknown) => {
      if (!missing(error)) throw fsError(error, key, 'remove a journal segment');
    });
    removed = true;
  }
  const last = segments[segments.length - 1];
  if (last && last.firstSeq <= uptoSeq) s.rollNext = true;
  // Not needed for safety (a segment coming back is read past), only to free the names for good.
  if (removed) await syncDir(fs, dir).catch(noop);
}
