import { CheckpointError } from '../../src/errors.js';
import { adapterClock } from '../shared/clock.js';
import { idbConnection, openStore } from './connection.js';
import { NAME } from './errors.js';
import type { IndexedDbAdapterOptions } from './options.js';
import type { IdbContext } from './store.js';
import { runTransaction, withMeta } from './transaction.js';

/**
 * Imports a part of the adapter loaded on first use; a failed import rejects
 * with `io` naming the adapter (the next call tries again).
 *
 * @example
 * ```ts
 * const { acquireKey } = await loadPart('cart', () => import('./lock.js'));
 * ```
 */
export function loadPart<M>(key: string | undefined, importer: () => Promise<M>): Promise<M> {
  return importer().catch((cause: unknown) => {
    throw new CheckpointError('io', { key, adapter: NAME, detail: 'could not load a part of the adapter', cause });
  });
}

/**
 * The shared parts of an adapter for `options`, with their defaults. Nothing
 * opens until the first call; the seldom-made calls (upkeep.ts) load on first use.
 *
 * @example
 * ```ts
 * const cx = idbContext({ dbName: 'my-app' });
 * const found = await cx.run('readonly', 'cart', (store, on) => {
 *   let gens = 0;
 *   cx.withMeta(store, on, 'cart', (m) => (gens = m.gens.length));
 *   return () => gens;
 * });
 * ```
 */
export function idbContext(options: IndexedDbAdapterOptions): IdbContext {
  const dbName = options.dbName ?? 'xstate-checkpoint';
  const storeName = options.storeName ?? 'checkpoints';
  const factory = (): IDBFactory => {
    const found = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!found) {
      throw new CheckpointError('invalid-option', {
        adapter: NAME,
        detail: 'IndexedDB is not available here: pass options.indexedDB (e.g. from fake-indexeddb)',
      });
    }
    return found;
  };
  const cx: IdbContext = {
    name: NAME,
    options,
    storeName,
    durability: options.durability ?? 'strict',
    clock: adapterClock(options),
    factory,
    connection: idbConnection(() => openStore(factory, dbName, storeName)),
    channelName: `xstate-checkpoint:${dbName}/${storeName}`,
    leases: new Set(),
    onWarning: options.onWarning,
    run: (mode, key, body, seq) => runTransaction(cx, mode, key, body, seq),
    withMeta: (store, on, key, fn) => withMeta(cx, store, on, key, fn),
    loadUpkeep: async (key) => (cx.upkeep ??= (await loadPart(key, () => import('./upkeep.js'))).upkeep(cx)),
    upkeep: undefined,
    disposed: false,
  };
  return cx;
}
