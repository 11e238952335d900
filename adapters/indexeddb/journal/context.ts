import { CheckpointError, isCheckpointError } from '../../../src/errors.js';
import { idbConnection, opened, type IdbConnection } from '../connection.js';
import type { IndexedDbJournalOptions } from './options.js';

/** The journal's name on its errors (the adapter's). */
export const NAME = 'indexeddb';
/** The object stores: entries keyed `[key, seq]`, one small record per key, the rows set aside after damage. */
export const ENTRIES = 'entries';
export const META = 'meta';
export const ASIDE = 'aside';
export const STORES = [ENTRIES, META, ASIDE];

/** The journal's record of one key. */
export interface Meta {
  /** Sequence of the last good entry (kept when entries are truncated). */
  last: number;
  /** Highest epoch appended or fenced. */
  epoch: number;
}

/** One entry as stored under `[key, seq]`. */
export interface Stored {
  readonly epoch: number;
  readonly crc: number;
  readonly bytes: Uint8Array;
}

/**
 * What the parts of one IndexedDB journal share: its options with their
 * defaults, the connection, and the state its calls change.
 *
 * @example
 * ```ts
 * const cx: JournalContext = journalContext({ dbName: 'my-app-journal' });
 * ```
 */
export interface JournalContext {
  readonly options: IndexedDbJournalOptions;
  readonly durability: IDBTransactionDurability;
  readonly connection: IdbConnection;
  /** Keys whose read found damage: the next append sets the entries after this sequence aside. */
  readonly damagedAfter: Map<string, number>;
  disposed: boolean;
}

/**
 * The shared parts of a journal for `options`; the database opens (and gets
 * its stores) on first use.
 *
 * @example
 * ```ts
 * const cx = journalContext({ dbName: 'my-app-journal' });
 * ```
 */
export function journalContext(options: IndexedDbJournalOptions): JournalContext {
  const dbName = options.dbName ?? 'xstate-checkpoint-journal';
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
  return {
    options,
    durability: options.durability ?? 'strict',
    connection: idbConnection(open),
    damagedAfter: new Map(),
    disposed: false,
  };
}

/**
 * The entries of `key` from `from` to `to` (`openLow`: after `from`), as a
 * key range of the `IDBKeyRange` the options name (or the global one).
 *
 * @example
 * ```ts
 * entryRange(cx, 'cart', 3, Number.POSITIVE_INFINITY, true); // every entry after 3
 * ```
 */
export function entryRange(cx: JournalContext, key: string, from: number, to: number, openLow: boolean): IDBKeyRange {
  const KeyRange = cx.options.keyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  if (!KeyRange) {
    throw new CheckpointError('invalid-option', {
      key,
      adapter: NAME,
      detail: 'IDBKeyRange is not available here: pass options.keyRange with options.indexedDB',
    });
  }
  return KeyRange.bound([key, from], [key, to], openLow, false);
}

/**
 * The typed error for a failure of the journal's IndexedDB: a full quota is
 * `storage-full`, anything else `io`; a `CheckpointError` passes through.
 *
 * @example
 * ```ts
 * throw journalError(error, 'cart', 4);
 * ```
 */
export function journalError(error: unknown, key: string, seq?: number): CheckpointError {
  if (isCheckpointError(error)) return error;
  const name = (error as { name?: unknown } | null)?.name;
  return new CheckpointError(name === 'QuotaExceededError' ? 'storage-full' : 'io', {
    key,
    adapter: NAME,
    seq,
    cause: error,
  });
}
