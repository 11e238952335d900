import { appendGroup } from './append.js';
import { disposePlace, inKeyOrder, journalPlace, keyDir, releaseKey, stateOf, truncateInTurn, use } from './place.js';
import { readJournal } from './read.js';
import type { FileJournal, FileJournalOptions } from './types.js';

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
  const place = journalPlace(options);
  return {
    pipelined: true,
    append: (key, entries, epoch) =>
      use(place, key)
        .then((io) => inKeyOrder(place, key, (s) => appendGroup(io, s, key, keyDir(place, key), entries, epoch)))
        .then((written) => written.durable),
    read: (key, afterSeq) =>
      use(place, key).then((io) =>
        inKeyOrder(place, key, (s) => readJournal(io, s, key, keyDir(place, key), afterSeq)),
      ),
    truncate: (key, uptoSeq) => use(place, key).then((io) => truncateInTurn(place, io, key, uptoSeq)),
    trustLease(key, lease) {
      stateOf(place, key).lease = lease;
    },
    release: (key) => releaseKey(place, key),
    setAsideAfter: (key, afterSeq) =>
      use(place, key).then(() =>
        inKeyOrder(place, key, async (s) => {
          s.cutAfter = Math.min(afterSeq, s.cutAfter ?? afterSeq);
          s.verified = false;
        }),
      ),
    dispose: () => disposePlace(place),
  };
}
