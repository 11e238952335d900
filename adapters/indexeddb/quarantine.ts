// Quarantine of the IndexedDB adapter: loaded on first use with the other seldom-made calls (upkeep.ts).
import type { GenerationInfo, QuarantineInfo } from '../../src/adapter.js';
import { newestQuarantinedFirst, quarantineInIndex } from '../shared/quarantine.js';
import { allMetas } from './cursors.js';
import type { IdbStore, Upkeep } from './store.js';

/** Removes one generation (live or quarantined) of `key` from the index, and its bytes (see upkeep.ts). */
export type Drop = (key: string, list: 'gens' | 'quarantine', match: (g: GenerationInfo) => boolean) => Promise<void>;

/**
 * `quarantine`, `listQuarantine`, `readQuarantined` and `deleteQuarantined`
 * on `s`: a quarantined generation keeps its bytes under `[key, seq]` and
 * moves from the index's live list to its quarantine list.
 *
 * @example
 * ```ts
 * const { quarantine } = quarantineMethods(s, drop);
 * await quarantine('cart', 3, 'checksum mismatch');
 * ```
 */
export function quarantineMethods(
  s: IdbStore,
  drop: Drop,
): Pick<Upkeep, 'quarantine' | 'listQuarantine' | 'readQuarantined' | 'deleteQuarantined'> {
  return {
    quarantine(key, seq, reason) {
      return s.run('readwrite', key, (store, on) => {
        let info: QuarantineInfo | undefined;
        s.withMeta(store, on, key, (m) => {
          info = quarantineInIndex(m, { adapter: s.name, key, seq, reason, at: s.clock.now() });
          store.put(m, key);
        });
        return () => info!;
      });
    },

    listQuarantine(key) {
      return s.run('readonly', key, (store, on) => {
        const out: QuarantineInfo[] = [];
        if (key === undefined) allMetas(store, on, (_, m) => m && out.push(...m.quarantine));
        else s.withMeta(store, on, key, (m) => out.push(...m.quarantine));
        return () => out.sort(newestQuarantinedFirst);
      });
    },

    readQuarantined(key, id) {
      return s.run('readonly', key, (store, on) => {
        let bytes: Uint8Array | undefined;
        s.withMeta(store, on, key, (m) => {
          const q = m.quarantine.find((x) => x.id === id);
          if (q) on(store.get([key, q.seq]), (b) => (bytes = b as Uint8Array | undefined));
        });
        return () => bytes;
      });
    },

    deleteQuarantined: (key, id) => drop(key, 'quarantine', (g) => (g as QuarantineInfo).id === id),
  };
}
