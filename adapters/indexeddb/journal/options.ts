import type { JournalStore } from '../../../src/adapter.js';

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
