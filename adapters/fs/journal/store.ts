import { join } from 'node:path';
import { CheckpointError } from '../../../src/errors.js';
import { checkKey } from '../../../src/keys.js';
import { adapterClock } from '../../shared/clock.js';
import type { PublishState } from '../durable.js';
import { readOnlyFlags } from '../default-fs.js';
import { keyFolderName } from '../layout.js';
import { readWholeFile } from '../read-file.js';
import { appendGroup } from './append.js';
import { drain } from './group-writer.js';
import { readJournal } from './read.js';
import { NAME, newKeyState, noop, type JournalIo, type KeyState } from './state.js';
import { truncateBeside, truncateJournal } from './truncate.js';
import type { FileJournal, FileJournalOptions, JournalFileSystem } from './types.js';

/**
 * `node:fs/promises`, with `node:fs`'s `writeSync` for groups written while nothing is being flushed,
 * and segments read as generation files are: a non-blocking open and at most 1 GiB, so a FIFO, a
 * folder or a link to /dev/zero where a segment belongs is a typed error, not a hang or the end of
 * the process.
 */
async function nodeJournalFileSystem(): Promise<JournalFileSystem> {
  const [promises, sync] = await Promise.all([import('node:fs/promises'), import('node:fs')]);
  const read = readOnlyFlags(sync.constants);
  const readFile = (path: string) => readWholeFile(sync, path, () => undefined, read);
  return { ...(promises as unknown as JournalFileSystem), readFile, writeSync: sync.writeSync };
}

/**
 * The event journal of the file store: per key, append-only segment files
 * `<first seq>.journal` in the key's folder (next to its generations), each a
 * sequence of framed entries (length, seq, epoch, CRC-32 of the payload, CRC-32
 * of that header; see `encodeJournalFrames`). One append is one `write` of all
 * its entries; appends are pipelined (`pipelined: true`): while one group's
 * `fdatasync` runs, the next group is written, and its flush starts as soon as
 * the previous one returns (one flush covers every group written before it
 * started). Each append resolves once its group is flushed, in order. A new
 * segment file is made durable in its folder before it is acknowledged (that
 * fsync runs beside the group's write and flush). A truncate runs beside the
 * appends, never touching the segment they go to, so a compaction holds up
 * no group.
 *
 * Crash handling: an append cut short by a crash leaves a torn tail, which
 * `read` reports and the next append cuts off (it was never acknowledged). A
 * damaged entry with data after it is reported as corrupt; the next append
 * moves that part (and any later segment) aside as `*.damaged-*` files in the
 * key folder, never deleting it, and continues after the last good entry.
 * After a failed `fdatasync` every group waiting for it is rewritten once from
 * memory (never trusted to a second flush of the same pages), or all of them
 * fail, the file is cut back to where the first began, and appends past that
 * point are refused until the failed entries are appended again (no holes).
 *
 * Fencing costs no I/O per append: the folder is listed (lock epoch, tail
 * re-read) on a key's first append, after a failure and when a new segment
 * starts; in the steady state an append is its `write` and `fdatasync` only.
 * An epoch below the key's lock epoch or one already in the journal is
 * refused with `fenced`. The check for a lock taken over meanwhile (a listing)
 * runs beside each `fdatasync`, started once the bytes are in the file, and a
 * group it finds fenced is not acknowledged. Frames a fenced writer appended
 * anyway carry its older epoch: readers skip frames of an older epoch that
 * follow a newer one, and a newer owner's frame that repeats a seq supersedes
 * the older epoch's entries from there on (see `scanJournalFrames`). Entries a
 * fenced writer left at the end of the journal before the new owner's first
 * append are moved aside as a `*.fenced-*` file (kept) by that append.
 * Appends from two processes need `persistActor({ lock: true })`.
 *
 * @example
 * ```ts
 * import { fileJournal } from 'xstate-checkpoint/adapters/fs-journal';
 * const journal = fileJournal({ dir: './.checkpoints' });
 * await journal.append('order-1', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export function fileJournal(options: FileJournalOptions): FileJournal {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new CheckpointError('invalid-option', { adapter: NAME, detail: '`dir` must be a non-empty folder path' });
  }
  const root = options.dir;
  const clock = adapterClock(options);
  const publishState: PublishState = { linkUnsupported: false };
  const states = new Map<string, KeyState>();
  let io: Promise<JournalIo> | undefined;
  let disposed = false;

  const use = async (key: string): Promise<JournalIo> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: NAME });
    checkKey(key, NAME);
    io ??= (options.fs ? Promise.resolve(options.fs) : nodeJournalFileSystem()).then((fs) => ({
      fs,
      clock,
      publishState,
    }));
    return io;
  };
  const stateOf = (key: string): KeyState => {
    let s = states.get(key);
    if (!s) {
      s = newKeyState();
      states.set(key, s);
    }
    return s;
  };
  /** Runs calls for one key one after another, in call order. */
  const serial = <T>(key: string, fn: (s: KeyState) => Promise<T>): Promise<T> => {
    const s = stateOf(key);
    const result = s.chain.then(() => fn(s));
    s.chain = result.catch(noop);
    return result;
  };
  /**
   * Truncates one after another, beside the key's appends: a compaction's
   * truncate (listing, reading covered segments, removing them, a folder
   * fsync) would otherwise hold up every group behind it. Only when the
   * active segment is covered does it run again in the key's call order.
   */
  const truncateInTurn = (key: string, io: JournalIo, uptoSeq: number): Promise<void> => {
    const s = stateOf(key);
    const run = async () => {
      if (await truncateBeside(io, s, key, keyDir(key), uptoSeq)) return;
      await serial(key, (t) => truncateJournal(io, t, key, keyDir(key), uptoSeq));
    };
    const result = s.truncating.then(run);
    s.truncating = result.catch(noop);
    return result;
  };
  const keyDir = (key: string) => join(root, keyFolderName(key));

  const journal: FileJournal = {
    pipelined: true,
    append: (key, entries, epoch) =>
      use(key)
        .then((io) => serial(key, (s) => appendGroup(io, s, key, keyDir(key), entries, epoch)))
        .then((written) => written.durable),
    read: (key, afterSeq) => use(key).then((io) => serial(key, (s) => readJournal(io, s, key, keyDir(key), afterSeq))),
    truncate: (key, uptoSeq) => use(key).then((io) => truncateInTurn(key, io, uptoSeq)),
    trustLease(key, lease) {
      stateOf(key).lease = lease;
    },
    async release(key) {
      const s = states.get(key);
      if (!s || disposed) return;
      await s.truncating;
      // In the key's call order, so an append queued before it still finds its segment open. What
      // the key state remembers (a failed group, the lease) stays: the next append reopens the tail.
      await serial(key, async (t) => {
        await drain(t);
        await t.active?.handle.close().catch(noop);
        t.active = undefined;
        t.verified = false;
      });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(
        [...states.values()].map(async (s) => {
          await s.truncating;
          await s.chain.catch(noop);
          await drain(s);
          await s.active?.handle.close().catch(noop);
          s.active = undefined;
        }),
      );
    },
  };
  return journal;
}
