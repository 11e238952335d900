import type { JournalEntry } from './adapter.js';
import { CheckpointError } from './errors.js';

/**
 * Checks that a journal append's entries have strictly increasing safe-integer
 * sequences, all above `after` (the journal's last entry, when the store knows
 * it up front). Throws `conflict` naming the first entry out of order; returns
 * the last sequence (`after` for an empty append).
 *
 * @example
 * ```ts
 * import { checkJournalOrder } from 'xstate-checkpoint/journal';
 * checkJournalOrder('order-1', 'memory', [{ seq: 4, bytes: new Uint8Array() }], 3); // 4
 * ```
 */
export function checkJournalOrder(key: string, adapter: string, entries: readonly JournalEntry[], after = 0): number {
  let last = after;
  for (const e of entries) {
    if (!Number.isSafeInteger(e.seq) || e.seq <= last) {
      throw new CheckpointError('conflict', {
        key,
        adapter,
        seq: e.seq,
        detail: `journal entry ${e.seq} does not follow entry ${last}`,
      });
    }
    last = e.seq;
  }
  return last;
}
