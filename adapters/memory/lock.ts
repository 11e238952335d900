import type { Lease } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import type { MemoryKeyState } from './store.js';

/**
 * Takes the lock of one key's state for `owner` (one memory adapter): refused
 * with `lock-held` while another owner holds it; the new epoch is past the
 * key's and every stored generation's.
 *
 * @example
 * ```ts
 * import { acquireMemoryLock } from './lock.js';
 * import { createMemoryStore, keyState } from './store.js';
 * const lease = acquireMemoryLock(keyState(createMemoryStore(), 'k'), {}, { key: 'k', adapter: 'memory' });
 * await lease.release();
 * ```
 */
export async function acquireMemoryLock(
  s: MemoryKeyState,
  owner: object,
  at: { readonly key: string; readonly adapter: string; readonly waitMs?: number | undefined },
): Promise<Lease> {
  if (s.lockedBy !== undefined && s.lockedBy !== owner) {
    throw new CheckpointError('lock-held', { key: at.key, adapter: at.adapter, data: { waitMs: at.waitMs } });
  }
  s.lockedBy = owner;
  let newest = s.epoch;
  for (const g of s.generations.values()) newest = Math.max(newest, g.epoch);
  s.epoch = newest + 1;
  const epoch = s.epoch;
  let released = false;
  return {
    epoch,
    async release() {
      if (released) return;
      released = true;
      if (s.lockedBy === owner) s.lockedBy = undefined;
    },
  };
}
