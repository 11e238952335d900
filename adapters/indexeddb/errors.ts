import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { navigatorOf } from './options.js';
import type { IdbContext } from './store.js';

/** The adapter's name on its errors. */
export const NAME = 'indexeddb';

/**
 * The typed error for a failure of IndexedDB: a full quota is `storage-full`
 * with the usage and quota `navigator.storage.estimate()` gives (when it
 * does), anything else `io`; a `CheckpointError` passes through.
 *
 * @example
 * ```ts
 * throw await idbError(cx, error, 'cart', 3);
 * ```
 */
export async function idbError(
  cx: IdbContext,
  error: unknown,
  key: string | undefined,
  seq?: number,
): Promise<CheckpointError> {
  if (isCheckpointError(error)) return error;
  const adapter = NAME;
  if ((error as { name?: unknown } | null)?.name === 'QuotaExceededError') {
    const storage = cx.options.storage ?? navigatorOf()?.storage;
    const data = storage ? await storage.estimate().catch(() => undefined) : undefined;
    return new CheckpointError('storage-full', {
      key,
      adapter,
      seq,
      cause: error,
      ...(data ? { data: { usage: data.usage, quota: data.quota } } : {}),
    });
  }
  return new CheckpointError('io', { key, adapter, seq, cause: error });
}
