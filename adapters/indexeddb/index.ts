import type { CheckpointAdapter, GenerationNotice } from '../../src/adapter.js';
import { idbContext, loadPart } from './context.js';
import { NAME } from './errors.js';
import { generationMethods } from './generations.js';
import { idbNotices } from './notices.js';
import type { IndexedDbAdapterOptions } from './options.js';
import { openKey } from './transaction.js';

export type { ChannelLike, IndexedDbAdapterOptions, LocksLike } from './options.js';
export type { GenerationNotice };

/** The IndexedDB adapter: the adapter contract plus a way to follow other tabs. */
export interface IndexedDbAdapter extends CheckpointAdapter {
  /**
   * Calls `listener` when another tab (or another adapter on the same
   * database) publishes a generation of `key`. Returns the unsubscribe function.
   */
  subscribe(key: string, listener: (notice: GenerationNotice) => void): () => void;
}

/**
 * Stores checkpoints in IndexedDB. Every write is one readwrite transaction
 * that checks the sequence and the fencing epoch and resolves only on the
 * transaction's `complete` event. One key's metadata lives in one record
 * (keyed by the key string), each generation's envelope bytes in another
 * (keyed `[key, seq]`), stored byte for byte.
 *
 * The connection opens on first use, closes on `versionchange`, and is
 * reopened once when the browser dropped it. `acquire` takes a Web Lock per
 * key (released when the tab closes or crashes) and bumps the epoch inside a
 * transaction. A full quota rejects with `storage-full` carrying
 * `navigator.storage.estimate()`.
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
 * import { createMachine } from 'xstate';
 *
 * const adapter = indexedDbAdapter({ dbName: 'my-app' });
 * const persisted = await persistActor(createMachine({ id: 'checkout' }), { key: 'cart', adapter, lock: true });
 * adapter.subscribe('cart', ({ seq }) => console.log('another tab saved', seq));
 * ```
 */
export function indexedDbAdapter(options: IndexedDbAdapterOptions = {}): IndexedDbAdapter {
  const cx = idbContext(options);
  const notices = idbNotices(cx);
  const rare = cx.loadUpkeep;
  return {
    name: NAME,
    capabilities: { durable: cx.durability === 'strict', crossProcess: true, locks: true },
    ...generationMethods(cx, notices),
    // The seldom-made calls (upkeep.ts) and `acquire` (lock.ts) load on first use.
    remove: async (key, seq) => (await rare(key)).remove(key, seq),
    keys: async () => (await rare()).keys(),
    quarantine: async (key, seq, reason) => (await rare(key)).quarantine(key, seq, reason),
    listQuarantine: async (key) => (await rare(key)).listQuarantine(key),
    readQuarantined: async (key, id) => (await rare(key)).readQuarantined(key, id),
    deleteQuarantined: async (key, id) => (await rare(key)).deleteQuarantined(key, id),
    async acquire(key, acquireOptions) {
      openKey(cx, key);
      const { acquireKey } = await loadPart(key, () => import('./lock.js'));
      return acquireKey(cx, key, acquireOptions);
    },
    subscribe: notices.subscribe,
    async dispose() {
      if (cx.disposed) return;
      cx.disposed = true;
      for (const unlock of cx.leases) unlock();
      cx.leases.clear();
      notices.close();
      await cx.connection.close();
    },
  };
}
