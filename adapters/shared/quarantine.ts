// Quarantine as every adapter lists it, and as the browser adapters keep it in a key index.
import type { QuarantineInfo } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import type { KeyIndex } from './key-index.js';

/**
 * The order of `listQuarantine`: the most recently quarantined first, then the
 * newest sequence first.
 *
 * @example
 * ```ts
 * import { newestQuarantinedFirst } from './quarantine.js';
 * declare const found: QuarantineInfo[];
 * found.sort(newestQuarantinedFirst);
 * ```
 */
export const newestQuarantinedFirst = (a: QuarantineInfo, b: QuarantineInfo): number =>
  b.quarantinedAt - a.quarantinedAt || b.seq - a.seq;

/**
 * Moves generation `seq` from the index's live list to its quarantine, under
 * the id `q<seq>` (a sequence is never reused, so the id can name its bytes,
 * which stay where they are); `not-found` when it is not live.
 *
 * @example
 * ```ts
 * import { quarantineInIndex } from './quarantine.js';
 * declare const m: KeyIndex;
 * const info = quarantineInIndex(m, { adapter: 'indexeddb', key: 'cart', seq: 3, reason: 'checksum', at: Date.now() });
 * info.id; // 'q3'
 * ```
 */
export function quarantineInIndex(
  m: KeyIndex,
  q: {
    readonly adapter: string;
    readonly key: string;
    readonly seq: number;
    readonly reason: string;
    readonly at: number;
  },
): QuarantineInfo {
  const { adapter, key, seq, reason } = q;
  const g = m.gens.find((x) => x.seq === seq);
  if (!g) throw new CheckpointError('not-found', { key, adapter, seq });
  const info: QuarantineInfo = { ...g, id: `q${seq}`, key, reason, quarantinedAt: q.at };
  m.gens = m.gens.filter((x) => x !== g);
  m.quarantine.push(info);
  return info;
}
