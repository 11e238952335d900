import type { CheckpointAdapter } from '../../src/adapter.js';
import { lsContext, NAME } from './context.js';
import { generationMethods } from './generations.js';
import type { LocalStorageAdapterOptions } from './options.js';
import { quarantineMethods } from './quarantine.js';

export type { LocalStorageAdapterOptions, StorageLike } from './options.js';

/**
 * Stores checkpoints in `localStorage`: for small state in pages that cannot
 * use IndexedDB. Synchronous underneath, so every call is atomic within the
 * tab; not durable (browsers write Web Storage to disk lazily) and not safe
 * across tabs writing one key (use `indexedDbAdapter` with `lock: true`
 * for that). Bytes are stored base64-encoded, a third larger; the ~5 MB
 * per-origin quota rejects with `storage-full` and leaves the previous
 * generation intact.
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { localStorageAdapter } from 'xstate-checkpoint/adapters/localstorage';
 * import { createMachine } from 'xstate';
 *
 * const persisted = await persistActor(createMachine({ id: 'prefs' }), {
 *   key: 'prefs',
 *   adapter: localStorageAdapter({ prefix: 'my-app:' }),
 * });
 * ```
 */
export function localStorageAdapter(options: LocalStorageAdapterOptions = {}): CheckpointAdapter {
  const cx = lsContext(options);
  return {
    name: NAME,
    capabilities: { durable: false, crossProcess: false, locks: false },
    ...generationMethods(cx),
    ...quarantineMethods(cx),
    async dispose() {
      cx.disposed = true;
    },
  };
}
