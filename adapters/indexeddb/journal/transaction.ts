import { CheckpointError } from '../../../src/errors.js';
import { checkKey } from '../../../src/keys.js';
import { journalError, NAME, type JournalContext } from './context.js';

/** Aborts the running transaction with `error`: everything the body did is undone. */
export type Abort = (error: CheckpointError) => void;

/**
 * Refuses a call after `dispose()` (`closed`) and a key the contract refuses.
 *
 * @example
 * ```ts
 * openKey(cx, 'cart');
 * ```
 */
export function openKey(cx: JournalContext, key: string): void {
  if (cx.disposed) throw new CheckpointError('closed', { key, adapter: NAME });
  checkKey(key, NAME);
}

/**
 * Runs `body` in one transaction over `stores` (only those it touches: a
 * smaller scope is less work per transaction); resolves with its result on
 * `complete`. `abort(error)` undoes everything the body did. Refuses a call
 * after `dispose()` (`closed`) and a key the contract refuses.
 *
 * @example
 * ```ts
 * await runJournal(cx, [ENTRIES], 'readwrite', 'cart', (tx) => {
 *   tx.objectStore(ENTRIES).delete(entryRange(cx, 'cart', Number.NEGATIVE_INFINITY, 3, false));
 *   return () => undefined;
 * });
 * ```
 */
export async function runJournal<T>(
  cx: JournalContext,
  stores: readonly string[],
  mode: IDBTransactionMode,
  key: string,
  body: (tx: IDBTransaction, abort: Abort) => () => T,
  seq?: number,
): Promise<T> {
  openKey(cx, key);
  for (let attempt = 0; ; attempt++) {
    let failure: CheckpointError | undefined;
    try {
      const db = await cx.connection.get();
      const tx = db.transaction(stores as string[], mode, { durability: cx.durability });
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
      if (failure === undefined && attempt === 0 && name === 'InvalidStateError' && !cx.disposed) {
        // The connection was closed under us (versionchange, storage reset): reopen once.
        cx.connection.drop();
        continue;
      }
      throw journalError(error, key, seq);
    }
  }
}

/**
 * Calls `fn` with the request's result, aborting the transaction when it throws.
 *
 * @example
 * ```ts
 * onResult(tx.objectStore(META).get('cart'), abort, 'cart', (m) => console.log(m));
 * ```
 */
export function onResult<R>(request: IDBRequest<R>, abort: Abort, key: string, fn: (r: R) => void): void {
  request.onsuccess = () => {
    try {
      fn(request.result);
    } catch (error) {
      abort(journalError(error, key));
    }
  };
}
