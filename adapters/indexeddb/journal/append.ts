import type { JournalEntry } from '../../../src/adapter.js';
import { crc32 } from '../../../src/checksum.js';
import type { CheckpointError } from '../../../src/errors.js';
import { checkJournalOrder } from '../../../src/journal-order.js';
import { appendRefusal } from '../../shared/journal-refusal.js';
import {
  ASIDE,
  ENTRIES,
  entryRange,
  META,
  NAME,
  STORES,
  type JournalContext,
  type Meta,
  type Stored,
} from './context.js';
import { onResult, runJournal, type Abort } from './transaction.js';

// An append sets nothing aside without damage, so it needs only these two stores.
const APPEND_STORES = [ENTRIES, META];

/** The bytes in a buffer of their own: a view of a larger one would be stored with all of it. */
const ownBuffer = (bytes: Uint8Array): Uint8Array =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();

/** Why the key's record refuses an append from `first` under `epoch`: `fenced`, `conflict`, or nothing. */
const refusal = (m: Meta, key: string, first: number, epoch: number): CheckpointError | undefined =>
  appendRefusal({ adapter: NAME, key, first, epoch, keyEpoch: m.epoch, lastSeq: m.last });

/** Puts every entry with its epoch and CRC-32, and the key's record after them. */
function putAll(tx: IDBTransaction, key: string, entries: readonly JournalEntry[], epoch: number, last: number): void {
  const store = tx.objectStore(ENTRIES);
  for (const e of entries) {
    const stored: Stored = { epoch, crc: crc32(e.bytes), bytes: ownBuffer(e.bytes) };
    store.put(stored, [key, e.seq]);
  }
  // Not refused means epoch >= the stored one: it is the key's epoch from now on.
  tx.objectStore(META).put({ last, epoch } satisfies Meta, key);
}

/** Moves the entries after `cut` to the `aside` store (kept), then calls `then` with the key's record cut back. */
function setAside(
  cx: JournalContext,
  tx: IDBTransaction,
  abort: Abort,
  key: string,
  cut: number,
  then: (m: Meta) => void,
) {
  const on = <R>(request: IDBRequest<R>, fn: (r: R) => void) => onResult(request, abort, key, fn);
  on(tx.objectStore(META).get(key), (value: Meta | undefined) => {
    const m: Meta = value ?? { last: 0, epoch: 0 };
    const store = tx.objectStore(ENTRIES);
    on(store.openCursor(entryRange(cx, key, cut, Number.POSITIVE_INFINITY, true)), (cursor) => {
      if (!cursor) return then({ last: cut, epoch: m.epoch });
      const [, seq] = cursor.key as [string, number];
      tx.objectStore(ASIDE).add({ key, seq, ...(cursor.value as Stored) });
      cursor.delete();
      cursor.continue();
    });
  });
}

/**
 * The journal's `append`: one transaction. It is refused (`fenced`,
 * `conflict`) by the key's record, and after a read found damage it first
 * sets the damaged part aside and continues after the last good entry.
 *
 * @example
 * ```ts
 * await appendEntries(cx, 'cart', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export async function appendEntries(
  cx: JournalContext,
  key: string,
  entries: readonly JournalEntry[],
  epoch: number,
): Promise<void> {
  const previous = checkJournalOrder(key, NAME, entries);
  if (entries.length === 0) return;
  const first = entries[0]!.seq;
  const cut = cx.damagedAfter.get(key);
  await runJournal(
    cx,
    cut === undefined ? APPEND_STORES : STORES,
    'readwrite',
    key,
    (tx, abort) => {
      if (cut === undefined) {
        // The writes queue behind the read of the key's record instead of waiting for it;
        // a refusal aborts the transaction, which undoes them.
        onResult(tx.objectStore(META).get(key), abort, key, (value: Meta | undefined) => {
          const refused = refusal(value ?? { last: 0, epoch: 0 }, key, first, epoch);
          if (refused) abort(refused);
        });
        putAll(tx, key, entries, epoch, previous);
        return () => undefined;
      }
      setAside(cx, tx, abort, key, cut, (m) => {
        const refused = refusal(m, key, first, epoch);
        if (refused) abort(refused);
        else putAll(tx, key, entries, epoch, previous);
      });
      return () => {
        cx.damagedAfter.delete(key);
      };
    },
    first,
  );
}
