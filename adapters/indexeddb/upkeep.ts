// The IndexedDB adapter's calls that a running app seldom makes: removing generations,
// quarantine, listing keys, rebuilding a damaged key index. Loaded on first use (index.ts).
import { isCheckpointError } from '../../src/errors.js';
import { rebuiltKeyIndex, rebuildReporter } from '../shared/key-index-rebuild.js';
import { allMetas, storedGenerations } from './cursors.js';
import { quarantineMethods, type Drop } from './quarantine.js';
import type { IdbStore, Upkeep } from './store.js';

/**
 * The seldom-made calls of the IndexedDB adapter on `s` (see the adapter's
 * own documentation for each).
 *
 * @example
 * ```ts
 * import { upkeep } from './upkeep.js';
 * import type { IdbStore } from './store.js';
 * declare const store: IdbStore;
 * await upkeep(store).remove('cart', 1);
 * ```
 */
export function upkeep(s: IdbStore): Upkeep {
  const reportRebuilt = rebuildReporter(s.name, s.onWarning ?? ((message: string) => console.warn(message)));

  /**
   * Removes one generation (live or quarantined) from the index, and its bytes.
   * Over quota, Chromium refuses even a put that shrinks the index but lets a
   * delete through: on storage-full the bytes go first (a listed generation
   * without bytes reads as pruned) and the index follows once there is room.
   */
  const drop: Drop = async (key, list, match) => {
    const step = (bytesOnly: boolean) =>
      s.run('readwrite', key, (store, on) => {
        s.withMeta(store, on, key, (m) => {
          const g = m[list].find(match);
          if (!g) return;
          store.delete([key, g.seq]);
          if (bytesOnly) return;
          if (list === 'gens') m.gens = m.gens.filter((x) => x !== g);
          else m.quarantine = m.quarantine.filter((x) => x !== g);
          store.put(m, key);
        });
        return () => undefined;
      });
    try {
      await step(false);
    } catch (error) {
      if (!isCheckpointError(error) || error.code !== 'storage-full') throw error;
      await step(true);
      await step(false);
    }
  };

  return {
    remove: (key, seq) => drop(key, 'gens', (g) => g.seq === seq),

    keys() {
      return s.run('readonly', undefined, (store, on) => {
        const out: string[] = [];
        allMetas(store, on, (key, m) => (!m || m.gens.length > 0) && out.push(key));
        return () => out;
      });
    },

    ...quarantineMethods(s, drop),

    rebuild(store, on, key, fn) {
      storedGenerations(s, store, on, key, (pairs) => {
        const rebuilt = rebuiltKeyIndex(pairs);
        reportRebuilt(key, rebuilt.gens.length);
        fn(rebuilt);
      });
    },
  };
}
