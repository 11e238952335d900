import type { CheckpointAdapter, GenerationInfo, NewestRead } from '../../src/adapter.js';
import { publishInIndex } from '../shared/key-index.js';
import type { IdbNotices } from './notices.js';
import type { IdbContext } from './store.js';

/** The calls of {@link generationMethods}: the ones every save and restore makes. */
export type GenerationMethods = Pick<Required<CheckpointAdapter>, 'list' | 'read' | 'write' | 'readNewest'>;

/**
 * `list`, `read`, `write` and `readNewest`: each one transaction over the
 * key's index record and its generations' bytes. A write that lands is told
 * to other tabs through `notices`.
 *
 * @example
 * ```ts
 * const { readNewest } = generationMethods(cx, idbNotices(cx));
 * const { newest } = await readNewest('cart');
 * ```
 */
export function generationMethods(cx: IdbContext, notices: IdbNotices): GenerationMethods {
  return {
    list(key) {
      return cx.run('readonly', key, (store, on) => {
        let out: GenerationInfo[] = [];
        cx.withMeta(store, on, key, (m) => (out = m.gens));
        return () => out;
      });
    },

    read(key, seq) {
      return cx.run('readonly', key, (store, on) => {
        let live = false;
        let bytes: Uint8Array | undefined;
        cx.withMeta(store, on, key, (m) => (live = m.gens.some((g) => g.seq === seq)));
        on(store.get([key, seq]), (b) => (bytes = b as Uint8Array | undefined));
        return () => (live ? bytes : undefined);
      });
    },

    async write(key, record) {
      // Copied now: the caller may reuse its buffer before the transaction runs, and
      // structured clone of a view would store the whole underlying buffer.
      const bytes = record.bytes.slice();
      const { seq, epoch, createdAt } = record;
      await cx.run(
        'readwrite',
        key,
        (store, on) => {
          // Checked, then put, in one transaction: a refused write leaves nothing, and a rebuilt
          // index (withMeta) sees only what was stored before this write.
          cx.withMeta(store, on, key, (m) => {
            publishInIndex(m, { seq, epoch, byteLength: bytes.length, createdAt }, cx.name, key);
            store.put(bytes, [key, seq]);
            store.put(m, key);
          });
          return () => undefined;
        },
        seq,
      );
      notices.post({ key, seq, epoch });
    },

    readNewest(key) {
      return cx.run('readonly', key, (store, on) => {
        let found: NewestRead = { seqs: [], quarantinedSeq: 0, epoch: 0 };
        cx.withMeta(store, on, key, (m) => {
          const base = {
            seqs: m.gens.map((g) => g.seq),
            quarantinedSeq: Math.max(0, ...m.quarantine.map((q) => q.seq)),
            epoch: Math.max(0, ...m.gens.map((g) => g.epoch)),
          };
          found = base;
          // The newest generation whose bytes are there, in the same transaction as the index.
          const next = (i: number): void => {
            const g = m.gens[i];
            if (g)
              on(store.get([key, g.seq]), (b) =>
                b === undefined ? next(i + 1) : (found = { ...base, newest: { seq: g.seq, bytes: b as Uint8Array } }),
              );
          };
          next(0);
        });
        return () => found;
      });
    },
  };
}
