import type { CheckpointAdapter } from '../../src/adapter.js';
import { newestQuarantinedFirst, quarantineInIndex } from '../shared/quarantine.js';
import { fromBase64 } from './base64.js';
import { NAME, storageFor, type LsContext } from './context.js';
import { bytesName, indexes, loadIndex, metaName, setItem } from './items.js';

/** The calls of {@link quarantineMethods}. */
export type QuarantineMethods = Pick<
  Required<CheckpointAdapter>,
  'quarantine' | 'listQuarantine' | 'readQuarantined' | 'deleteQuarantined'
>;

/**
 * Quarantine in the key's index record: the bytes of a quarantined
 * generation stay in their item until `deleteQuarantined`.
 *
 * @example
 * ```ts
 * const { quarantine } = quarantineMethods(lsContext({}));
 * await quarantine('prefs', 3, 'checksum mismatch');
 * ```
 */
export function quarantineMethods(cx: LsContext): QuarantineMethods {
  return {
    async quarantine(key, seq, reason) {
      const s = storageFor(cx, key);
      const m = loadIndex(cx, s, key);
      const info = quarantineInIndex(m, { adapter: NAME, key, seq, reason, at: cx.clock.now() });
      setItem(s, metaName(cx, key), JSON.stringify(m), key, seq);
      return info;
    },

    async listQuarantine(key) {
      const s = storageFor(cx, key);
      const out =
        key === undefined ? [...indexes(cx, s)].flatMap(([, m]) => m.quarantine) : loadIndex(cx, s, key).quarantine;
      return out.sort(newestQuarantinedFirst);
    },

    async readQuarantined(key, id) {
      const s = storageFor(cx, key);
      const q = loadIndex(cx, s, key).quarantine.find((x) => x.id === id);
      const text = q && s.getItem(bytesName(cx, key, q.seq));
      return typeof text === 'string' ? fromBase64(text) : undefined;
    },

    async deleteQuarantined(key, id) {
      const s = storageFor(cx, key);
      const m = loadIndex(cx, s, key);
      const q = m.quarantine.find((x) => x.id === id);
      if (!q) return;
      m.quarantine = m.quarantine.filter((x) => x !== q);
      s.setItem(metaName(cx, key), JSON.stringify(m));
      s.removeItem(bytesName(cx, key, q.seq));
    },
  };
}
