import type { CheckpointAdapter, JournalEntry, JournalStore } from '../../adapter.js';
import { check, equal } from '../assert.js';
import type { TestApi, TestBody } from '../test-api.js';

/** What a journal conformance run needs: adapters with a `journal`, and ways to damage what they stored. */
export interface JournalConformanceTarget {
  /** A new adapter (with a `journal`) over an empty store. Called before every test. */
  create(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /** Another adapter over the same store as the last `create()`: a restarted process. */
  reopen(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /**
   * Leaves an unfinished append at the end of `key`'s journal, as a crash in
   * the middle of an append does. Without it, the torn-tail case is skipped
   * (stores whose appends are transactions cannot tear).
   */
  tearTail?(key: string): Promise<void> | void;
  /** Flips a payload byte of entry `seq` of `key` in storage, as a bit flip on disk does. */
  corruptEntry(key: string, seq: number): Promise<void> | void;
  /** How many damaged bytes (or rows) of `key` the store has set aside (kept, not deleted). */
  setAside(key: string): Promise<number> | number;
  /** Removes what the test left behind. */
  cleanup?(): Promise<void> | void;
}

/**
 * Journal entry `seq` whose bytes are derived from it (and from `salt`), so
 * mix-ups show; with `size`, that many bytes.
 *
 * @example
 * ```ts
 * import { conformanceEntry } from 'xstate-checkpoint/testing';
 * const e = conformanceEntry(3); // { seq: 3, bytes: <8 bytes made from 3> }
 * ```
 */
export function conformanceEntry(seq: number, salt = 0, size?: number): JournalEntry {
  const n = size ?? 5 + (seq % 7);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (seq * 131 + i * 7 + salt) & 0xff;
  return { seq, bytes };
}

/** Entries `from` to `to` (bytes salted with `salt`). */
export const range = (from: number, to: number, salt = 0): JournalEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => conformanceEntry(from + i, salt));

/** Throws unless `actual` holds the entries of `expected`: same sequences in order, same bytes. */
export function sameEntries(actual: readonly JournalEntry[], expected: readonly JournalEntry[], what: string): void {
  equal(
    actual.map((e) => e.seq),
    expected.map((e) => e.seq),
    `${what}: sequences`,
  );
  actual.forEach((e, i) => {
    const want = expected[i]!.bytes;
    let same = e.bytes.length === want.length;
    for (let j = 0; same && j < want.length; j++) same = e.bytes[j] === want[j];
    check(same, `${what}: the bytes of entry ${e.seq} differ from what was appended`);
  });
}

/**
 * What the case groups of {@link journalConformance} share: the runner's
 * functions, the target, and the adapter and journal of the running case.
 *
 * @example
 * ```ts
 * const read = await suite.entries(suite.journal, 'k'); // the entries of 'k'
 * ```
 */
export interface JournalSuite {
  readonly it: TestApi['it'];
  /** Registers a case the target opts out of, reported skipped (`it.skip`), where the runner has it. */
  readonly skip: (title: string, body: TestBody) => unknown;
  readonly target: JournalConformanceTarget;
  /** The adapter of the running case, and its journal: new ones over an empty store per case. */
  readonly adapter: CheckpointAdapter;
  readonly journal: JournalStore;
  /** The journal of another adapter over the same store (a restarted process), disposed after the case. */
  reopen(): Promise<JournalStore>;
  /** The entries `store.read(key, afterSeq)` returns. */
  entries(store: JournalStore, key: string, afterSeq?: number): Promise<JournalEntry[]>;
}
