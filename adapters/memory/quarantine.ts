import type { CheckpointAdapter, QuarantineInfo } from '../../src/adapter.js';
import type { Clock } from '../../src/clock.js';
import { CheckpointError } from '../../src/errors.js';
import { generationInfo, type MemoryContext } from './store.js';
import { newestQuarantinedFirst } from '../shared/quarantine.js';

/** What {@link memoryQuarantine} needs beyond the {@link MemoryContext}. */
export interface MemoryQuarantineContext extends MemoryContext {
  /** Refuses a closed adapter (`closed`), for calls that name no key. */
  readonly openAll: () => void;
  /** Time for `quarantinedAt`. */
  readonly clock: Clock;
}

/**
 * The quarantine of a memory adapter: a quarantined generation leaves the
 * key's generations and keeps its bytes under an id of its own.
 *
 * @example
 * ```ts
 * import { memoryQuarantine } from './quarantine.js';
 * import { createMemoryStore } from './store.js';
 * const q = memoryQuarantine({ store: createMemoryStore(), name: 'memory', open: () => undefined,
 *   openAll: () => undefined, clock: systemClock });
 * await q.listQuarantine(); // []
 * ```
 */
export function memoryQuarantine(
  ctx: MemoryQuarantineContext,
): Pick<CheckpointAdapter, 'quarantine' | 'listQuarantine' | 'readQuarantined' | 'deleteQuarantined'> {
  const { store, name, open, openAll, clock } = ctx;
  let quarantineCounter = 0;
  return {
    async quarantine(key, seq, reason) {
      open(key);
      const s = store.keys.get(key);
      const r = s?.generations.get(seq);
      if (!s || !r) throw new CheckpointError('not-found', { key, adapter: name, seq });
      const id = `${seq}-${++quarantineCounter}`;
      const q = { ...generationInfo(r), id, key, reason, quarantinedAt: clock.now(), bytes: r.bytes };
      s.quarantine.set(id, q);
      s.generations.delete(seq);
      const { bytes: _bytes, ...rest } = q;
      return rest;
    },
    async listQuarantine(key) {
      if (key !== undefined) open(key);
      else openAll();
      const out: QuarantineInfo[] = [];
      // One key is a lookup, not a scan of every key (restore asks for it once per actor).
      const states = key === undefined ? store.keys.values() : [store.keys.get(key)];
      for (const s of states) {
        if (s) for (const { bytes: _bytes, ...rest } of s.quarantine.values()) out.push(rest);
      }
      return out.sort(newestQuarantinedFirst);
    },
    async readQuarantined(key, id) {
      open(key);
      return store.keys.get(key)?.quarantine.get(id)?.bytes.slice();
    },
    async deleteQuarantined(key, id) {
      open(key);
      store.keys.get(key)?.quarantine.delete(id);
    },
  };
}
