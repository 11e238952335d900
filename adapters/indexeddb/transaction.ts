import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import { checkKeyIndex, type KeyIndex } from '../shared/key-index.js';
import { idbError, NAME } from './errors.js';
import type { IdbContext, On } from './store.js';

// Thrown inside a transaction that met a damaged index before upkeep.ts (which rebuilds it) was
// loaded: runTransaction loads it and runs the transaction again, so it never reaches a caller.
const NEEDS_REBUILD = /* @__PURE__ */ new CheckpointError('io', {
  adapter: NAME,
  detail: 'the index rebuild is not loaded',
});
const retryable = (error: unknown): boolean => {
  const e = error as { name?: unknown; message?: unknown } | null;
  return (
    e?.name === 'InvalidStateError' ||
    e?.name === 'UnknownError' ||
    (e?.name === 'AbortError' && !isCheckpointError(error)) ||
    // Safari drops connections in the background and reports it only like this.
    String(e?.message).includes('Connection to Indexed Database server lost')
  );
};

/**
 * Refuses a call after `dispose()` (`closed`) or on a key the contract refuses (`invalid-key`).
 *
 * @example
 * ```ts
 * openKey(cx, 'cart');
 * ```
 */
export function openKey(cx: IdbContext, key: string | undefined): void {
  if (cx.disposed) throw new CheckpointError('closed', { key, adapter: NAME });
  if (key !== undefined) checkKey(key, NAME);
}

/**
 * Runs `body` in one transaction and resolves with its result on `complete`.
 * A callback that throws aborts the transaction, so nothing it did is kept.
 * Refuses what {@link openKey} refuses.
 *
 * @example
 * ```ts
 * const value = await runTransaction(cx, 'readonly', 'cart', (store, on) => {
 *   let found: unknown;
 *   on(store.get('cart'), (v) => (found = v));
 *   return () => found;
 * });
 * ```
 */
export async function runTransaction<T>(
  cx: IdbContext,
  mode: IDBTransactionMode,
  key: string | undefined,
  body: (store: IDBObjectStore, on: On) => () => T,
  seq?: number,
): Promise<T> {
  openKey(cx, key);
  for (let attempt = 0; ; attempt++) {
    let failure: Error | undefined;
    try {
      const db = await cx.connection.get();
      const tx = db.transaction(cx.storeName, mode, { durability: cx.durability });
      const on: On = (request, fn) => {
        request.onsuccess = () => {
          try {
            fn(request.result);
          } catch (error) {
            failure = error as Error;
            tx.abort();
          }
        };
      };
      let result: () => T;
      try {
        result = body(tx.objectStore(cx.storeName), on);
      } catch (error) {
        failure = error as Error;
        tx.abort();
        throw error;
      }
      return await new Promise<T>((resolve, reject) => {
        tx.oncomplete = () => resolve(result());
        tx.onabort = () => reject(failure ?? tx.error ?? new DOMException('transaction aborted', 'AbortError'));
      });
    } catch (error) {
      if (failure === undefined && attempt === 0 && retryable(error) && !cx.disposed) {
        // The browser closed the connection under us: reopen once and redo the whole transaction.
        cx.connection.drop();
        continue;
      }
      // A damaged index met before its rebuild code was loaded: load it, redo the transaction.
      if (failure === NEEDS_REBUILD) {
        await cx.loadUpkeep(key);
        continue;
      }
      throw await idbError(cx, error, key, seq);
    }
  }
}

/**
 * Reads the key's index record as hostile storage and calls `fn` with it. A
 * damaged one must not hide (or let a write overwrite) the generations it
 * listed: it is rebuilt from the stored records (upkeep.ts), reported, and
 * restore verifies each as always.
 *
 * @example
 * ```ts
 * withMeta(cx, store, on, 'cart', (m) => console.log(m.gens.length));
 * ```
 */
export function withMeta(cx: IdbContext, store: IDBObjectStore, on: On, key: string, fn: (m: KeyIndex) => void): void {
  on(store.get(key), (value) => {
    if (value === undefined) return fn({ top: 0, epoch: 0, gens: [], quarantine: [] });
    const m = checkKeyIndex(value, key);
    if (m) return fn(m);
    if (!cx.upkeep) throw NEEDS_REBUILD;
    cx.upkeep.rebuild(store, on, key, fn);
  });
}
