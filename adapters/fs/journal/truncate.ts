import { join } from 'node:path';
import { fsError, LIST_KEY_FOLDER, missing, syncDir } from '../durable.js';
import { drain } from './group-writer.js';
import { readNames } from '../folders.js';
import { coveredBy, segmentsOf } from './segment.js';
import { noop, type JournalIo, type KeyState } from './state.js';

/**
 * Removes the covered segments (see {@link truncateJournal}); beside the
 * appends it stops, returning `false`, at a covered active segment.
 */
async function removeCovered(
  io: JournalIo,
  s: KeyState,
  key: string,
  dir: string,
  uptoSeq: number,
  beside: boolean,
): Promise<boolean> {
  const { fs } = io;
  const segments = segmentsOf(await readNames(fs, dir, key, LIST_KEY_FOLDER));
  let removed = false;
  let done = true;
  for (let i = 0; i + 1 < segments.length; i++) {
    if (segments[i + 1]!.firstSeq > uptoSeq + 1) break;
    const path = join(dir, segments[i]!.name);
    // The names only suggest the segment is covered (a fenced writer's leftover can carry a later
    // name): it goes only when what it holds says so.
    if (!(await coveredBy(fs, path, key, uptoSeq))) break;
    if (s.active?.path === path) {
      if (beside) {
        done = false;
        break;
      }
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
  if (done && last && last.firstSeq <= uptoSeq) s.rollNext = true;
  // Not needed for safety (a segment coming back is read past), only to free the names for good.
  if (removed) await syncDir(fs, dir).catch(noop);
  return done;
}

/**
 * Removes the segments of the key folder `dir` whose entries are all at or
 * below `uptoSeq` (whole segments only, checked by what they hold, not by
 * their names), and makes the next append start a new segment when the
 * last one is covered too, so it can go with a later truncate. Runs in the
 * key's call order: it waits until every written group is flushed, and may
 * close the active segment.
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
  await drain(s);
  await removeCovered(io, s, key, dir, uptoSeq, false);
}

/**
 * {@link truncateJournal} while the key's appends go on: it never touches the
 * active segment (the one appends write to) and returns `false`, for the
 * caller to truncate in the key's call order, when the tail is not known
 * (a verify is due) or a covered segment is the active one (a fenced
 * writer's later-named leftover sits after it). A verify waits for it
 * (`s.removing`), so it never opens a segment removed under it.
 *
 * @example
 * ```ts
 * if (!(await truncateBeside(io, s, 'order-1', dir, 30))) await truncateJournal(io, s, 'order-1', dir, 30);
 * ```
 */
export async function truncateBeside(
  io: JournalIo,
  s: KeyState,
  key: string,
  dir: string,
  uptoSeq: number,
): Promise<boolean> {
  if (!s.verified || !s.active || s.removing) return false;
  let release: () => void = noop;
  s.removing = new Promise<void>((resolve) => (release = resolve));
  try {
    return await removeCovered(io, s, key, dir, uptoSeq, true);
  } finally {
    s.removing = undefined;
    release();
  }
}
