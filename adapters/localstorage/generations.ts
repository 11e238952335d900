import type { CheckpointAdapter } from '../../src/adapter.js';
import { publishInIndex } from '../shared/key-index.js';
import { fromBase64, toBase64 } from './base64.js';
import { NAME, storageFor, type LsContext } from './context.js';
import { bytesName, indexes, loadIndex, metaName, setItem } from './items.js';

/** The calls of {@link generationMethods}. */
export type GenerationMethods = Pick<CheckpointAdapter, 'list' | 'read' | 'write' | 'remove' | 'keys'>;

/**
 * `list`, `read`, `write`, `remove` and `keys`: Web Storage is synchronous, so
 * each call is atomic within the tab.
 *
 * @example
 * ```ts
 * const { list } = generationMethods(lsContext({}));
 * await list('prefs');
 * ```
 */
export function generationMethods(cx: LsContext): GenerationMethods {
  return {
    async list(key) {
      return loadIndex(cx, storageFor(cx, key), key).gens;
    },

    async read(key, seq) {
      const s = storageFor(cx, key);
      if (!loadIndex(cx, s, key).gens.some((g) => g.seq === seq)) return undefined;
      const text = s.getItem(bytesName(cx, key, seq));
      return text === null ? undefined : fromBase64(text);
    },

    async write(key, record) {
      const s = storageFor(cx, key);
      const m = loadIndex(cx, s, key);
      const { seq, epoch } = record;
      publishInIndex(m, { seq, epoch, byteLength: record.bytes.length, createdAt: record.createdAt }, NAME, key);
      // Bytes first, then the index that publishes them: a failure in between leaves the old index.
      setItem(s, bytesName(cx, key, seq), toBase64(record.bytes), key, seq);
      try {
        setItem(s, metaName(cx, key), JSON.stringify(m), key, seq);
      } catch (error) {
        s.removeItem(bytesName(cx, key, seq));
        throw error;
      }
    },

    async remove(key, seq) {
      const s = storageFor(cx, key);
      const m = loadIndex(cx, s, key);
      if (!m.gens.some((g) => g.seq === seq)) return;
      m.gens = m.gens.filter((g) => g.seq !== seq);
      // Removing shrinks the index, so it cannot hit the quota.
      s.setItem(metaName(cx, key), JSON.stringify(m));
      s.removeItem(bytesName(cx, key, seq));
    },

    async keys() {
      const out: string[] = [];
      for (const [key, m] of indexes(cx, storageFor(cx))) if (m.gens.length > 0) out.push(key);
      return out;
    },
  };
}
