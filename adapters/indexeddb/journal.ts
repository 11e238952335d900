import type { Lease } from '../../src/adapter.js';
import { disposeTogether } from '../shared/dispose.js';
import { indexedDbAdapter, type IndexedDbAdapter, type IndexedDbAdapterOptions } from './index.js';
import { appendEntries } from './journal/append.js';
import { journalContext } from './journal/context.js';
import { fenceKey, markUndecodable, readEntries, truncateEntries } from './journal/entries.js';
import type { IndexedDbJournal, IndexedDbJournalOptions } from './journal/options.js';

export type { IndexedDbJournal, IndexedDbJournalOptions } from './journal/options.js';

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
  const cx = journalContext(options);
  return {
    append: (key, entries, epoch) => appendEntries(cx, key, entries, epoch),
    read: (key, afterSeq) => readEntries(cx, key, afterSeq),
    truncate: (key, uptoSeq) => truncateEntries(cx, key, uptoSeq),
    setAsideAfter: (key, afterSeq) => markUndecodable(cx, key, afterSeq),
    fence: (key, epoch) => fenceKey(cx, key, epoch),
    async dispose() {
      if (cx.disposed) return;
      cx.disposed = true;
      await cx.connection.close();
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
    dispose: () => disposeTogether([journal.dispose(), disposeStore()]),
  });
}
