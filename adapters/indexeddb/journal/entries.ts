import type { JournalEntry, JournalReadResult } from '../../../src/adapter.js';
import { crc32 } from '../../../src/checksum.js';
import { ENTRIES, entryRange, META, type JournalContext, type Meta, type Stored } from './context.js';
import { onResult, openKey, runJournal } from './transaction.js';

const ENTRY_STORE = [ENTRIES];
const META_STORE = [META];

/**
 * The journal's `read`: the entries after `afterSeq` in order, each checked
 * against its CRC-32, up to the first bad one (or the first after a
 * `setAsideAfter` mark); from there on the rest is reported as corrupt and
 * the next append sets it aside.
 *
 * @example
 * ```ts
 * const { entries, corrupt } = await readEntries(cx, 'cart', 0);
 * ```
 */
export function readEntries(cx: JournalContext, key: string, afterSeq: number): Promise<JournalReadResult> {
  return runJournal(cx, ENTRY_STORE, 'readonly', key, (tx, abort) => {
    const entries: JournalEntry[] = [];
    let last = afterSeq;
    let corrupt: { seq: number; bytes: number; reason: string } | undefined;
    // Entries after a mark (`setAsideAfter`: they do not decode) are damage until an append moves them.
    const cut = cx.damagedAfter.get(key) ?? Number.POSITIVE_INFINITY;
    const cursorRequest = tx
      .objectStore(ENTRIES)
      .openCursor(entryRange(cx, key, afterSeq, Number.POSITIVE_INFINITY, true));
    onResult(cursorRequest, abort, key, (cursor) => {
      if (!cursor) return;
      const [, seq] = cursor.key as [string, number];
      const value = cursor.value as Stored;
      if (corrupt) corrupt.bytes += value.bytes.byteLength;
      else if (seq > cut) {
        corrupt = { seq, bytes: value.bytes.byteLength, reason: `entry ${seq} was set aside: its bytes do not decode` };
      } else if (crc32(value.bytes) !== value.crc) {
        corrupt = { seq, bytes: value.bytes.byteLength, reason: `entry ${seq} checksum mismatch` };
      } else {
        entries.push({ seq, bytes: value.bytes });
        last = seq;
      }
      cursor.continue();
    });
    return (): JournalReadResult => {
      if (!corrupt) return { entries };
      cx.damagedAfter.set(key, Math.min(last, cut));
      return { entries, corrupt: { afterSeq: last, byteLength: corrupt.bytes, reason: corrupt.reason } };
    };
  });
}

/**
 * The journal's `truncate`: deletes the entries up to `uptoSeq` (the key's record keeps the last sequence).
 *
 * @example
 * ```ts
 * await truncateEntries(cx, 'cart', 10);
 * ```
 */
export function truncateEntries(cx: JournalContext, key: string, uptoSeq: number): Promise<void> {
  return runJournal(cx, ENTRY_STORE, 'readwrite', key, (tx) => {
    tx.objectStore(ENTRIES).delete(entryRange(cx, key, Number.NEGATIVE_INFINITY, uptoSeq, false));
    return () => undefined;
  });
}

/**
 * Raises the key's fencing epoch to `epoch` (never lowers it): appends with an older one are refused from then on.
 *
 * @example
 * ```ts
 * await fenceKey(cx, 'cart', 3);
 * ```
 */
export function fenceKey(cx: JournalContext, key: string, epoch: number): Promise<void> {
  return runJournal(cx, META_STORE, 'readwrite', key, (tx, abort) => {
    const meta = tx.objectStore(META);
    onResult(meta.get(key), abort, key, (value: Meta | undefined) => {
      const m: Meta = value ?? { last: 0, epoch: 0 };
      if (epoch > m.epoch) meta.put({ ...m, epoch } satisfies Meta, key);
    });
    return () => undefined;
  });
}

/**
 * The journal's `setAsideAfter`: marks the entries after `afterSeq` as damage
 * (they do not decode); reads stop there and the next append sets them aside.
 *
 * @example
 * ```ts
 * await markUndecodable(cx, 'cart', 3);
 * ```
 */
export async function markUndecodable(cx: JournalContext, key: string, afterSeq: number): Promise<void> {
  openKey(cx, key);
  cx.damagedAfter.set(key, Math.min(afterSeq, cx.damagedAfter.get(key) ?? afterSeq));
}
