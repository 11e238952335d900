import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistJournaled } from 'xstate-checkpoint/journal';
import type { LocksLike } from 'xstate-checkpoint/adapters/indexeddb';
import { indexedDbJournalAdapter } from 'xstate-checkpoint/adapters/indexeddb-journal';
import { runAdapterConformance, runJournalConformance } from '../conformance/suite.js';

/** Exclusive Web Locks within one process (Node has no navigator.locks). */
function processLocks(): LocksLike {
  const held = new Set<string>();
  return {
    async request(name, options, callback) {
      if (held.has(name)) {
        if (options.ifAvailable) return callback(null);
        while (held.has(name)) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      held.add(name);
      try {
        return await callback({ name });
      } finally {
        held.delete(name);
      }
    },
  };
}

let factory = new IDBFactory();
let locks = processLocks();
const make = () =>
  indexedDbJournalAdapter({ dbName: 'app', indexedDB: factory, keyRange: IDBKeyRange, locks, broadcastChannel: false });

/** Runs `fn` on the journal database's entries store, the way another tab (or a bit flip) would touch it. */
async function onEntries(mode: IDBTransactionMode, fn: (store: IDBObjectStore, tx: IDBTransaction) => void) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open('app-journal');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error!);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['entries', 'aside'], mode);
      fn(tx.objectStore('entries'), tx);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error!);
    });
  } finally {
    db.close();
  }
}

runJournalConformance('indexeddb', {
  create: () => {
    factory = new IDBFactory();
    locks = processLocks();
    return make();
  },
  reopen: () => make(),
  corruptEntry: (key, seq) =>
    onEntries('readwrite', (store) => {
      const request = store.get([key, seq]);
      request.onsuccess = () => {
        const value = request.result as { bytes: Uint8Array };
        value.bytes[0] = value.bytes[0]! ^ 0xff;
        store.put(value, [key, seq]);
      };
    }),
  setAside: async (key) => {
    let count = 0;
    await onEntries('readonly', (_, tx) => {
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
});

runAdapterConformance('indexeddb (indexedDbJournalAdapter)', [indexedDbJournalAdapter], {
  create: () => {
    factory = new IDBFactory();
    locks = processLocks();
    return make();
  },
  createPeer: () => make(),
});

describe('journal mode on IndexedDB', () => {
  it('acknowledges a group in one transaction, restores by replay, and fences the tab that lost the key', async () => {
    factory = new IDBFactory();
    locks = processLocks();
    const counter = createMachine({
      id: 'counter',
      context: { n: 0 },
      on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    const first = await persistJournaled(counter, {
      key: 'cart',
      adapter: make(),
      journal: true,
      flushOnExit: false,
      onError: () => undefined,
    });
    await Promise.all(Array.from({ length: 20 }, () => first.send({ type: 'INC' })));
    // Another tab takes the key (this one froze without closing).
    const second = await persistJournaled(counter, {
      key: 'cart',
      adapter: make(),
      journal: true,
      lock: true,
      flushOnExit: false,
    });
    expect(second.actor.getSnapshot().context.n).toBe(20);
    expect(second.restored.journal.replayed).toBe(20);
    await second.send({ type: 'INC' });
    await expect(first.send({ type: 'INC' })).rejects.toMatchObject({ code: 'fenced' });
    await second.close();
  });
});
