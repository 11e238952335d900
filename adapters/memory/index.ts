import type { CheckpointAdapter, CheckpointRecord } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import type { Clock } from '../../src/clock.js';
import { adapterClock } from '../shared/clock.js';
import { memoryJournal } from './journal.js';
import { acquireMemoryLock } from './lock.js';
import { memoryQuarantine } from './quarantine.js';
import { createMemoryStore, generationInfo, keyState, type MemoryStore } from './store.js';

export { createMemoryStore, type MemoryKeyState, type MemoryStore } from './store.js';

/** Options of {@link memoryAdapter}. */
export interface MemoryAdapterOptions {
  /** Share generations with other adapters. @default a private store */
  readonly store?: MemoryStore;
  /**
   * Time for quarantine timestamps (the core's `Clock`, as every adapter takes it).
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * @deprecated Pass `clock` instead; `now` alone still sets the clock's `now()`.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Keeps checkpoints in memory: for tests, demos and caches. Not durable
 * (`capabilities.durable` is false); copies bytes in and out, so callers can
 * never mutate what is stored.
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { createMachine } from 'xstate';
 *
 * const persisted = await persistActor(createMachine({ id: 'm' }), { key: 'm-1', adapter: memoryAdapter() });
 * ```
 */
export function memoryAdapter(options: MemoryAdapterOptions = {}): CheckpointAdapter {
  const store = options.store ?? createMemoryStore();
  const clock = adapterClock(options);
  const owner = {};
  let disposed = false;
  const name = 'memory';

  const open = (key: string): void => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: name });
    checkKey(key, name);
  };
  const openAll = (): void => {
    if (disposed) throw new CheckpointError('closed', { adapter: name });
  };
  return {
    name,
    capabilities: { durable: false, crossProcess: false, locks: true },
    journal: memoryJournal({ store, name, open }),
    async list(key) {
      open(key);
      const s = store.keys.get(key);
      if (!s) return [];
      return [...s.generations.values()].map(generationInfo).sort((a, b) => b.seq - a.seq);
    },
    async read(key, seq) {
      open(key);
      const r = store.keys.get(key)?.generations.get(seq);
      return r ? r.bytes.slice() : undefined;
    },
    async write(key, record: CheckpointRecord) {
      open(key);
      const s = keyState(store, key);
      if (record.epoch < s.epoch) {
        throw new CheckpointError('fenced', {
          key,
          adapter: name,
          seq: record.seq,
          detail: `epoch ${record.epoch} is older than the key's epoch ${s.epoch}`,
        });
      }
      let newest = 0;
      for (const seq of s.generations.keys()) newest = Math.max(newest, seq);
      for (const q of s.quarantine.values()) newest = Math.max(newest, q.seq);
      if (record.seq <= newest) {
        throw new CheckpointError('conflict', {
          key,
          adapter: name,
          seq: record.seq,
          detail: `generation ${newest} already exists`,
        });
      }
      s.epoch = record.epoch;
      s.generations.set(record.seq, {
        ...generationInfo(record),
        byteLength: record.bytes.length,
        bytes: record.bytes.slice(),
      });
    },
    async remove(key, seq) {
      open(key);
      store.keys.get(key)?.generations.delete(seq);
    },
    async keys() {
      openAll();
      return [...store.keys.entries()].filter(([, s]) => s.generations.size > 0).map(([k]) => k);
    },
    ...memoryQuarantine({ store, name, open, openAll, clock }),
    async acquire(key, acquireOptions) {
      open(key);
      return acquireMemoryLock(keyState(store, key), owner, { key, adapter: name, waitMs: acquireOptions?.waitMs });
    },
    async dispose() {
      disposed = true;
      for (const s of store.keys.values()) if (s.lockedBy === owner) s.lockedBy = undefined;
    },
  };
}
