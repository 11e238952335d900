/**
 * Disposes the parts of one adapter together (a store and its journal): waits
 * for every one, then rejects with the first failure, if any, so that one
 * part failing never leaves another open.
 *
 * @example
 * ```ts
 * import { disposeTogether } from './dispose.js';
 * declare const store: { dispose(): Promise<void> };
 * declare const journal: { dispose(): Promise<void> };
 * await disposeTogether([journal.dispose(), store.dispose()]);
 * ```
 */
export async function disposeTogether(disposals: ReadonlyArray<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(disposals);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
