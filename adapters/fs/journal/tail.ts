import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FRAME_HEADER, scanJournalFrames } from '../../../src/journal-frame.js';
import { fsError, LIST_KEY_FOLDER, publishFile, syncDir } from '../durable.js';
import { lockEpoch } from '../lock.js';
import { readNames } from '../folders.js';
import { scanAll, segmentsOf } from './segment.js';
import { noop, type JournalIo, type KeyState } from './state.js';

const stampOf = (io: JournalIo) => `${io.clock.now().toString(36)}-${randomBytes(4).toString('hex')}`;

/**
 * Finds the last good entry, cuts a torn tail, sets damage aside (as
 * `*.damaged-*` files, kept), opens the last segment for appending.
 *
 * @example
 * ```ts
 * await verify(io, s, 'order-1', dir, await readNames(io.fs, dir, 'order-1'));
 * ```
 */
export async function verify(io: JournalIo, s: KeyState, key: string, dir: string, names: readonly string[]) {
  const { fs } = io;
  await s.active?.handle.close().catch(noop);
  s.active = undefined;
  const segments = segmentsOf(names);
  // Every segment is checked: damage in an older one would hide all later entries from readers.
  const scan = await scanAll(fs, dir, key, segments, Number.MAX_SAFE_INTEGER, s.cutAfter);
  if (scan.reason !== undefined && scan.segment) {
    const path = join(dir, scan.segment.name);
    const stamp = stampOf(io);
    try {
      if (!scan.torn) {
        const bytes = await fs.readFile(path);
        await publishFile(fs, io.publishState, dir, `${path}.damaged-${stamp}`, bytes.subarray(scan.end), key);
        for (const later of scan.later)
          await fs.rename(join(dir, later.name), join(dir, `${later.name}.damaged-${stamp}`));
      }
      const handle = await fs.open(path, 'r+');
      try {
        await handle.truncate(scan.end);
        await handle.datasync();
      } finally {
        await handle.close().catch(noop);
      }
      await syncDir(fs, dir);
    } catch (error) {
      throw fsError(error, key, 'set a damaged journal part aside');
    }
  }
  s.cutAfter = undefined;
  s.lastSeq = scan.lastSeq;
  s.lastEpoch = scan.lastEpoch;
  const last = scan.segment;
  if (last) {
    const path = join(dir, last.name);
    try {
      s.active = { path, name: last.name, handle: await fs.open(path, 'a+'), size: scan.end };
    } catch (error) {
      throw fsError(error, key, 'open a journal segment');
    }
  }
  s.verified = true;
}

/**
 * Entries from `first` on in the last segment that a writer with a lower
 * epoch appended after this writer (holding lock `epoch`) restored: it never
 * saw them, so they came after the hand-over, and their writer's check after
 * the act refused them. They move aside as a `*.fenced-*` file (kept, like
 * damage) so the lock holder appends past nothing. False when any entry
 * there is this epoch's or newer, or spans segments: a real conflict.
 *
 * @example
 * ```ts
 * if (await setAsideFenced(io, s, 'order-1', dir, 31, 4)) await verify(io, s, 'order-1', dir, names);
 * ```
 */
export async function setAsideFenced(
  io: JournalIo,
  s: KeyState,
  key: string,
  dir: string,
  first: number,
  epoch: number,
): Promise<boolean> {
  const active = s.active;
  if (!active) return false;
  const bytes = await io.fs.readFile(active.path).catch(() => undefined);
  if (!bytes) return false;
  const scan = scanJournalFrames(bytes, first - 1);
  const firstEntry = scan.entries[0];
  if (!firstEntry || scan.torn || scan.corrupt) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = scan.entries.map((e) => e.bytes.byteOffset - bytes.byteOffset - FRAME_HEADER);
  if (offsets.some((at) => !(view.getFloat64(at + 12) < epoch))) return false;
  const from = offsets[0]!;
  try {
    await publishFile(io.fs, io.publishState, dir, `${active.path}.fenced-${stampOf(io)}`, bytes.subarray(from), key);
    await active.handle.truncate(from);
    await active.handle.datasync();
  } catch (error) {
    throw fsError(error, key, "set a fenced writer's journal entries aside");
  }
  return true;
}

/**
 * The slow path before an append: lists the key folder, re-reads the tail
 * when it is not known (first append, after a failure, a segment gone),
 * notes the lock epoch, and sets aside entries a fenced writer left after
 * the point this owner restored.
 *
 * @example
 * ```ts
 * if (!s.verified) await learnTail(io, s, 'order-1', dir, 31, 4);
 * ```
 */
export async function learnTail(
  io: JournalIo,
  s: KeyState,
  key: string,
  dir: string,
  first: number,
  epoch: number,
): Promise<void> {
  // A truncate beside the appends may be removing segments: list (and verify) after it.
  while (s.removing) await s.removing;
  const names = await readNames(io.fs, dir, key, LIST_KEY_FOLDER);
  if (!s.verified || (s.active && !names.includes(s.active.name))) await verify(io, s, key, dir, names);
  s.lockEpoch = lockEpoch(names);
  if (
    first <= s.lastSeq &&
    epoch === s.lockEpoch &&
    epoch >= s.lastEpoch &&
    (await setAsideFenced(io, s, key, dir, first, epoch))
  ) {
    await verify(io, s, key, dir, await readNames(io.fs, dir, key, LIST_KEY_FOLDER));
  }
}
