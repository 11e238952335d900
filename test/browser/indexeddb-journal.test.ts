import { expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistJournaled } from 'xstate-checkpoint/journal';
import { indexedDbJournalAdapter } from 'xstate-checkpoint/adapters/indexeddb-journal';
import { runJournalConformance } from '../conformance/suite.js';

// The journal on the real IndexedDB (strict durability), Web Locks and BroadcastChannel of Chromium.
let dbName = '';
let run = 0;
const deleteDb = (name: string) =>
  new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error!);
  });

/** Runs `fn` in a transaction on the journal database, as another tab (or a bit flip) would. */
async function onJournalDb(mode: IDBTransactionMode, fn: (tx: IDBTransaction) => void): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(`${dbName}-journal`);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error!);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['entries', 'aside'], mode);
      fn(tx);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error!);
    });
  } finally {
    db.close();
  }
}

runJournalConformance('indexeddb (chromium)', {
  create: () => {
    dbName = `journal-${Date.now()}-${++run}`;
    return indexedDbJournalAdapter({ dbName });
  },
  reopen: () => indexedDbJournalAdapter({ dbName }),
  corruptEntry: (key, seq) =>
    onJournalDb('readwrite', (tx) => {
      const store = tx.objectStore('entries');
      const request = store.get([key, seq]);
      request.onsuccess = () => {
        const value = request.result as { bytes: Uint8Array };
        value.bytes[0] = value.bytes[0]! ^ 0xff;
        store.put(value, [key, seq]);
      };
    }),
  setAside: async (key) => {
    let count = 0;
    await onJournalDb('readonly', (tx) => {
      const request = tx.objectStore('aside').openCursor();
      request.onsuccess = () => {
        const cursor = request.result;
        if (!cursor) return;
        if ((cursor.value as { key: string }).key === key) count++;
        cursor.continue();
      };
    });
    return count;
  },
  cleanup: async () => {
    await deleteDb(dbName);
    await deleteDb(`${dbName}-journal`);
  },
});

it('journal mode in the browser: acknowledged events come back by replay after the tab dies', async () => {
  dbName = `journal-mode-${Date.now()}`;
  const counter = createMachine({
    id: 'counter',
    context: { n: 0 },
    on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
  });
  const first = await persistJournaled(counter, {
    key: 'cart',
    adapter: indexedDbJournalAdapter({ dbName }),
    journal: true,
    lock: true,
    flushOnExit: false,
  });
  const acks = await Promise.all(Array.from({ length: 30 }, () => first.send({ type: 'INC' })));
  expect(acks.at(-1)).toBe(30);
  // The tab dies: nothing more is written (close on a stopped actor writes no snapshot), and its Web Lock goes.
  first.actor.stop();
  await first.close();
  const adapter = indexedDbJournalAdapter({ dbName });
  const second = await persistJournaled(counter, {
    key: 'cart',
    adapter,
    journal: true,
    lock: true,
    flushOnExit: false,
  });
  expect(second.actor.getSnapshot().context.n).toBe(30);
  expect(second.restored.journal.replayed).toBe(30);
  await second.close();
  await adapter.dispose();
  await deleteDb(dbName);
  await deleteDb(`${dbName}-journal`);
});
