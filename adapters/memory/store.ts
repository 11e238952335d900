import type { CheckpointRecord, GenerationInfo, QuarantineInfo } from '../../src/adapter.js';

/** What a {@link MemoryStore} keeps for one key (its generations, quarantine, epoch, lock and journal). */
export interface MemoryKeyState {
  generations: Map<number, CheckpointRecord>;
  quarantine: Map<string, QuarantineInfo & { bytes: Uint8Array }>;
  epoch: number;
  lockedBy: object | undefined;
  /** Framed journal entries, one chunk per append (the same frames the fs journal writes). */
  journal: Uint8Array[];
  /** Damaged journal bytes set aside by an append, kept for inspection. */
  journalAside: Uint8Array[];
  /** Sequence of the last good journal entry (survives truncation). */
  journalLast: number;
  /** Highest sequence truncation dropped. */
  journalFloor: number;
}

/** Shared backing store for several {@link memoryAdapter}s (to model several writers in one process). */
export interface MemoryStore {
  readonly keys: Map<string, MemoryKeyState>;
}

/**
 * Creates a store that several memory adapters can share.
 *
 * @example
 * ```ts
 * import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const store = createMemoryStore();
 * const a = memoryAdapter({ store });
 * const b = memoryAdapter({ store }); // sees a's generations
 * ```
 */
export function createMemoryStore(): MemoryStore {
  return { keys: new Map() };
}

/** The state of `key` in `store`, created empty on first use. */
export function keyState(store: MemoryStore, key: string): MemoryKeyState {
  let s = store.keys.get(key);
  if (!s) {
    s = {
      generations: new Map(),
      quarantine: new Map(),
      epoch: 0,
      lockedBy: undefined,
      journal: [],
      journalAside: [],
      journalLast: 0,
      journalFloor: 0,
    };
    store.keys.set(key, s);
  }
  return s;
}

/** The listing fields of a generation (no bytes). */
export const generationInfo = (r: GenerationInfo): GenerationInfo => ({
  seq: r.seq,
  epoch: r.epoch,
  byteLength: r.byteLength,
  createdAt: r.createdAt,
});

/** What the parts of one memory adapter share: its store, name and clock, and the check every call starts with. */
export interface MemoryContext {
  readonly store: MemoryStore;
  readonly name: string;
  /** Refuses a closed adapter (`closed`) and a bad key. */
  readonly open: (key: string) => void;
}
