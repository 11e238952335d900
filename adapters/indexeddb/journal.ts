import type { JournalEntry, JournalReadResult, JournalStore, Lease } from '../../src/adapter.js';
import { crc32 } from '../../src/checksum.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { checkJournalOrder } from '../../src/journal-order.js';
import { checkKey } from '../../src/keys.js';
import { idbConnection, opened } from './connection.js';
import { indexedDbAdapter, type IndexedDbAdapter, type IndexedDbAdapterOptions } from './index.js';

/** Options of {@link indexedDbJournal}. */
export interface IndexedDbJournalOptions {
  /** Database of the journal (its own, next to the adapter's). @default 'xstate-checkpoint-journal' */
  readonly dbName?: string;
  /** `'strict'`: an append resolves once the browser flushed it to disk. @default 'strict' */
  readonly durability?: IDBTransactionDurability;
  /** The IndexedDB factory. @default globalThis.indexedDB, read on first use */
  readonly indexedDB?: IDBFactory;
  /** `IDBKeyRange` of the same implementation as `indexedDB`. @default globalThis.IDBKeyRange, read on first use */
  readonly keyRange?: typeof IDBKeyRange;
}

/** A {@link JournalStore} in IndexedDB. */
export interface IndexedDbJournal extends JournalStore {
  /** Raises the key's fencing epoch: appends with an older epoch are refused from then on. */
  fence(key: string, epoch: number): Promise<void>;
  /** Closes the connection; later calls reject with `closed`. */
  dispose(): Promise<void>;
}

interface Meta {
  /** Sequence of the last good entry (kept when entries are truncated). */
  last: number;
  /** Highest epoch appended or fenced. */
  epoch: number;
}

interface Stored {
  readonly epoch: number;
  readonly crc: number;
  readonly bytes: Uint8Array;
}

const NAME = 'indexeddb';
const ENTRIES = 'entries';
const META = 'meta';
const ASIDE = 'aside';
const STORES = [ENTRIES, META, ASIDE];
// The scopes of the calls that touch fewer stores (an append sets nothing aside without damage).
const APPEND_STORES = [ENTRIES, META];
const ENTRY_STORE = [ENTRIES];
const META_STORE = [META];

/** The bytes in a buffer of their own: a view of a larger one would be stored with all of it. */
const ownBuffer = (bytes: Uint8Array): Uint8Array =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();

/**
 * The event journal in IndexedDB, in a database of its own: entries keyed
 * `[key, seq]` with their epoch and CRC-32, a small record per key (last
 * sequence, epoch), and the rows set aside after damage. One append is one
 * transaction (durability `'strict'` by default): it resolves on `complete`,
 * so a group of events is acknowledged together. An append below the key's
 * epoch is refused with `fenced`; `indexedDbJournalAdapter` raises that epoch
 * on every `acquire`, so the tab that lost the key is fenced.
 *
 * `read` verifies each entry's checksum and stops at the first bad one; the
 * next append moves the entries from there on to the `aside` store (kept) and
 * continues after the last good entry. Transactions are atomic, so there are
 * no torn tails.
 *
 * @example
 * ```ts
 * import { indexedDbJournal } from 'xstate-checkpoint/adapters/indexeddb-journal';
 * const journal = indexedDbJournal({ dbName: 'my-app-journal' });
 * await journal.append('cart', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export function indexedDbJournal(options: IndexedDbJournalOptions = {}): IndexedDbJournal {
  const dbName = options.dbName ?? 'xstate-checkpoint-journal';
  const durability = options.durability ?? 'strict';
  // Keys whose read found damage: the next append sets the entries after this sequence aside.
  const damagedAfter = new Map<string, number>();
  let disposed = false;
  const range = (key: string, from: number, to: number, openLow: boolean): IDBKeyRange => {
    const KeyRange = options.keyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
    if (!KeyRange) {
      throw new CheckpointError('invalid-option', {
        key,
        adapter: NAME,
        detail: 'IDBKeyRange is not available here: pass options.keyRange with options.indexedDB',
      });
    }
    return KeyRange.bound([key, from], [key, to], openLow, false);
  };

  const open = (): Promise<IDBDatabase> => {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) {
      throw new CheckpointError('invalid-option', {
        adapter: NAME,
        detail: 'IndexedDB is not available here: pass options.indexedDB (e.g. from fake-indexeddb)',
      });
    }
    const request = factory.open(dbName, 1);
    request.onupgradeneeded = () => {
      for (const name of STORES) {
        if (request.result.objectStoreNames.contains(name)) continue;
        if (name === ASIDE) request.result.createObjectStore(name, { autoIncrement: true });
        else request.result.createObjectStore(name);
      }
    };
    return opened(request);
  };
  const connection = idbConnection(open);

  const toError = (error: unknown, key: string, seq?: number): CheckpointError => {
    if (isCheckpointError(error)) return error;
    const name = (error as { name?: unknown } | null)?.name;
    return new CheckpointError(name === 'QuotaExceededError' ? 'storage-full' : 'io', {
      key,
      adapter: NAME,
      seq,
      cause: error,
    });
  };

  /**
   * Runs `body` in one transaction over `stores` (only those it touches: a
   * smaller scope is less work per transaction); resolves with its result on
   * `complete`. `abort(error)` undoes everything the body did.
   */
  const run = async <T>(
    stores: readonly string[],
    mode: IDBTransactionMode,
    key: string,
    body: (tx: IDBTransaction, abort: (error: CheckpointError) => void) => () => T,
    seq?: number,
  ): Promise<T> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: NAME });
    checkKey(key, NAME);
    for (let attempt = 0; ; attempt++) {
      let failure: CheckpointError | undefined;
      try {
        const db = await connection.get();
        const tx = db.transaction(stores as string[], mode, { durability });
        const abort = (error: CheckpointError) => {
          failure = error;
          tx.abort();
        };
        const result = body(tx, abort);
        return await new Promise<T>((resolve, reject) => {
          tx.oncomplete = () => resolve(result());
          tx.onabort = () => reject(failure ?? tx.error ?? new DOMException('transaction aborted', 'AbortError'));
        });
      } catch (error) {
        const name = (error as { name?: unknown } | null)?.name;
        if (failure === undefined && attempt === 0 && name === 'InvalidStateError' && !disposed) {
          // The connection was closed under us (versionchange, storage reset): reopen once.
          connection.drop();
          continue;
        }
        throw toError(error, key, seq);
      }
    }
  };

  /** Calls `fn` with each request result, aborting the transaction when it throws. */
  const on = <R>(request: IDBRequest<R>, abort: (error: CheckpointError) => void, key: string, fn: (r: R) => void) => {
    request.onsuccess = () => {
      try {
        fn(request.result);
      } catch (error) {
        abort(toError(error, key));
      }
    };
  };

  return {
    async append(key, entries, epoch) {
      const previous = checkJournalOrder(key, NAME, entries);
      if (entries.length === 0) return;
      const first = entries[0]!.seq;
      const cut = damagedAfter.get(key);
      await run(
        cut === undefined ? APPEND_STORES : STORES,
        'readwrite',
        key,
        (tx, abort) => {
          const store = tx.objectStore(ENTRIES);
          const refusal = (m: Meta): CheckpointError | undefined => {
            if (epoch < m.epoch) {
              return new CheckpointError('fenced', {
                key,
                adapter: NAME,
                seq: first,
                detail: `epoch ${epoch} is older than the key's epoch ${m.epoch}`,
              });
            }
            if (first <= m.last) {
              return new CheckpointError('conflict', {
                key,
                adapter: NAME,
                seq: first,
                detail: `journal entry ${m.last} already exists`,
              });
            }
            return undefined;
          };
          const putAll = () => {
            for (const e of entries) {
              const stored: Stored = { epoch, crc: crc32(e.bytes), bytes: ownBuffer(e.bytes) };
              store.put(stored, [key, e.seq]);
            }
            // Not refused means epoch >= the stored one: it is the key's epoch from now on.
            tx.objectStore(META).put({ last: previous, epoch } satisfies Meta, key);
          };
          if (cut === undefined) {
            // The writes queue behind the read of the key's record instead of waiting for it;
            // a refusal aborts the transaction, which undoes them.
            on(tx.objectStore(META).get(key), abort, key, (value: Meta | undefined) => {
              const refused = refusal(value ?? { last: 0, epoch: 0 });
              if (refused) abort(refused);
            });
            putAll();
            return () => undefined;
          }
          const insert = (m: Meta) => {
            const refused = refusal(m);
            if (refused) abort(refused);
            else putAll();
          };
          on(tx.objectStore(META).get(key), abort, key, (value: Meta | undefined) => {
            const m: Meta = value ?? { last: 0, epoch: 0 };
            // Set the damaged part aside (kept), then continue after the last good entry.
            on(store.openCursor(range(key, cut, Number.POSITIVE_INFINITY, true)), abort, key, (cursor) => {
              if (!cursor) return insert({ last: cut, epoch: m.epoch });
              const [, seq] = cursor.key as [string, number];
              tx.objectStore(ASIDE).add({ key, seq, ...(cursor.value as Stored) });
              cursor.delete();
              cursor.continue();
            });
          });
          return () => {
            damagedAfter.delete(key);
          };
        },
        first,
      );
    },
    read(key, afterSeq) {
      return run(ENTRY_STORE, 'readonly', key, (tx, abort) => {
        const entries: JournalEntry[] = [];
        let last = afterSeq;
        let corrupt: { seq: number; bytes: number } | undefined;
        const cursorRequest = tx.objectStore(ENTRIES).openCursor(range(key, afterSeq, Number.POSITIVE_INFINITY, true));
        on(cursorRequest, abort, key, (cursor) => {
          if (!cursor) return;
          const [, seq] = cursor.key as [string, number];
          const value = cursor.value as Stored;
          if (corrupt) corrupt.bytes += value.bytes.byteLength;
          else if (crc32(value.bytes) !== value.crc) corrupt = { seq, bytes: value.bytes.byteLength };
          else {
            entries.push({ seq, bytes: value.bytes });
            last = seq;
          }
          cursor.continue();
        });
        return (): JournalReadResult => {
          if (!corrupt) return { entries };
          damagedAfter.set(key, last);
          return {
            entries,
            corrupt: { afterSeq: last, byteLength: corrupt.bytes, reason: `entry ${corrupt.seq} checksum mismatch` },
          };
        };
      });
    },
    truncate(key, uptoSeq) {
      return run(ENTRY_STORE, 'readwrite', key, (tx) => {
        tx.objectStore(ENTRIES).delete(range(key, Number.NEGATIVE_INFINITY, uptoSeq, false));
        return () => undefined;
      });
    },
    fence(key, epoch) {
      return run(META_STORE, 'readwrite', key, (tx, abort) => {
        const meta = tx.objectStore(META);
        on(meta.get(key), abort, key, (value: Meta | undefined) => {
          const m: Meta = value ?? { last: 0, epoch: 0 };
          if (epoch > m.epoch) meta.put({ ...m, epoch } satisfies Meta, key);
        });
        return () => undefined;
      });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await connection.close();
    },
  };
}

/**
 * {@link indexedDbAdapter} with an {@link indexedDbJournal} in the database
 * `<dbName>-journal`: the browser store for journal mode. Every `acquire`
 * also raises the journal's epoch for the key, so the tab that held the key
 * before is fenced out of the journal too. `dispose()` closes both.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistJournaled } from 'xstate-checkpoint/journal';
 * import { indexedDbJournalAdapter } from 'xstate-checkpoint/adapters/indexeddb-journal';
 *
 * const adapter = indexedDbJournalAdapter({ dbName: 'my-app' });
 * const cart = await persistJournaled(createMachine({ id: 'cart' }), { key: 'cart', adapter, journal: true, lock: true });
 * ```
 */
export function indexedDbJournalAdapter(
  options: IndexedDbAdapterOptions & Pick<IndexedDbJournalOptions, 'keyRange'> = {},
): IndexedDbAdapter {
  const store = indexedDbAdapter(options);
  const journal = indexedDbJournal({
    dbName: `${options.dbName ?? 'xstate-checkpoint'}-journal`,
    ...(options.durability === undefined ? {} : { durability: options.durability }),
    ...(options.indexedDB === undefined ? {} : { indexedDB: options.indexedDB }),
    ...(options.keyRange === undefined ? {} : { keyRange: options.keyRange }),
  });
  const acquire = store.acquire!.bind(store);
  const disposeStore = store.dispose.bind(store);
  return Object.assign(store, {
    journal,
    async acquire(key: string, acquireOptions?: Parameters<typeof acquire>[1]): Promise<Lease> {
      const lease = await acquire(key, acquireOptions);
      try {
        await journal.fence(key, lease.epoch);
      } catch (error) {
        await lease.release().catch(() => undefined);
        throw error;
      }
      return lease;
    },
    async dispose() {
      const results = await Promise.allSettled([journal.dispose(), disposeStore()]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
  });
}
