import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import { runAdapterConformance } from '../conformance/suite.js';

// Real IndexedDB, Web Locks and BroadcastChannel of the Chromium running the test.
let dbName = '';
let run = 0;
runAdapterConformance('indexeddb (chromium)', [indexedDbAdapter], {
  create: () => {
    dbName = `conformance-${Date.now()}-${++run}`;
    return indexedDbAdapter({ dbName });
  },
  createPeer: () => indexedDbAdapter({ dbName }),
  cleanup: () =>
    new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(dbName);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error!);
    }),
});
