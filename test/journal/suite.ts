import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointAdapter, JournalEntry, JournalStore } from 'xstate-checkpoint';
import { isCheckpointError } from 'xstate-checkpoint';

/** What a journal conformance run needs. */
export interface JournalTarget {
  /** A new adapter (with a journal) over an empty store. Called before every test. */
  create(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /** Another adapter over the same store as the last `create()`: a restarted process. */
  reopen(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /** Leaves an unfinished append at the end of `key`'s journal, as a crash mid-append does. */
  tearTail?(key: string): Promise<void> | void;
  /** Flips a payload byte of entry `seq` in storage. */
  corruptEntry(key: string, seq: number): Promise<void> | void;
  /** How many damaged bytes (or rows) of `key` were set aside. */
  setAside(key: string): Promise<number> | number;
  cleanup?(): Promise<void> | void;
}

/** Names of every journal store that ran the suite in this process. */
export const journalConformanceRuns = new Set<string>();

/** Entry `seq` with bytes derived from it (and `salt`), so mix-ups show. */
export function entry(seq: number, salt = 0, size?: number): JournalEntry {
  const n = size ?? 5 + (seq % 7);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (seq * 131 + i * 7 + salt) & 0xff;
  return { seq, bytes };
}

const range = (from: number, to: number, salt = 0) =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, salt));

function expectEntries(actual: readonly JournalEntry[], expected: readonly JournalEntry[]): void {
  expect(actual.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
  actual.forEach((e, i) => {
    const want = expected[i]!.bytes;
    let same = e.bytes.length === want.length;
    for (let j = 0; same && j < want.length; j++) same = e.bytes[j] === want[j];
    expect(same, `bytes of entry ${e.seq}`).toBe(true);
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (!isCheckpointError(error)) throw error;
    return error.code;
  }
  return 'ok';
}

/**
 * The journal part of the adapter contract as tests: atomic, ordered, fenced
 * appends; verified reads that stop at damage and say so; truncation; and
 * appends that always continue right after the last good entry.
 *
 * @example
 * ```ts
 * import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { runJournalConformance } from './suite.js';
 * let store = createMemoryStore();
 * runJournalConformance('memory', {
 *   create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
 *   reopen: () => memoryAdapter({ store }),
 *   corruptEntry: () => undefined,
 *   setAside: () => 0,
 * });
 * ```
 */
export function runJournalConformance(name: string, target: JournalTarget): void {
  journalConformanceRuns.add(name);
  describe(`journal conformance: ${name}`, () => {
    let adapter: CheckpointAdapter;
    let journal: JournalStore;
    const others: CheckpointAdapter[] = [];
    const reopen = async () => {
      const next = await target.reopen();
      others.push(next);
      return next.journal!;
    };

    beforeEach(async () => {
      adapter = await target.create();
      expect(adapter.journal, 'the adapter offers a journal').toBeDefined();
      journal = adapter.journal!;
    });
    afterEach(async () => {
      for (const a of others.splice(0)) await a.dispose().catch(() => undefined);
      await adapter.dispose().catch(() => undefined);
      await target.cleanup?.();
    });

    it('reads nothing from an empty journal', async () => {
      expect(await journal.read('nothing', 0)).toEqual({ entries: [] });
    });

    it('round-trips entries exactly, in order, across appends', async () => {
      await journal.append('k', range(1, 3), 0);
      await journal.append('k', range(4, 4), 0);
      await journal.append('k', range(5, 9), 0);
      const read = await journal.read('k', 0);
      expectEntries(read.entries, range(1, 9));
      expect(read.torn).toBeUndefined();
      expect(read.corrupt).toBeUndefined();
      expectEntries((await (await reopen()).read('k', 0)).entries, range(1, 9));
    });

    it('reads only the entries after the given sequence', async () => {
      await journal.append('k', range(1, 6), 0);
      expectEntries((await journal.read('k', 4)).entries, range(5, 6));
      expectEntries((await journal.read('k', 6)).entries, []);
      expectEntries((await journal.read('k', 60)).entries, []);
    });

    it('returns bytes the caller cannot use to change what is stored', async () => {
      await journal.append('k', range(1, 2), 0);
      const first = await journal.read('k', 0);
      for (const e of first.entries) e.bytes.fill(0);
      expectEntries((await journal.read('k', 0)).entries, range(1, 2));
    });

    it('keeps keys apart', async () => {
      await journal.append('a', range(1, 2, 1), 0);
      await journal.append('b', range(1, 3, 2), 0);
      expectEntries((await journal.read('a', 0)).entries, range(1, 2, 1));
      expectEntries((await journal.read('b', 0)).entries, range(1, 3, 2));
    });

    it('refuses sequences that do not increase with conflict, storing nothing of that call', async () => {
      await journal.append('k', range(1, 3), 0);
      expect(await codeOf(journal.append('k', [entry(3, 9)], 0))).toBe('conflict');
      expect(await codeOf(journal.append('k', [entry(2, 9), entry(4, 9)], 0))).toBe('conflict');
      expect(await codeOf(journal.append('k', [entry(4, 9), entry(6, 9), entry(5, 9)], 0))).toBe('conflict');
      expectEntries((await journal.read('k', 0)).entries, range(1, 3));
      await journal.append('k', range(4, 5), 0);
      expectEntries((await journal.read('k', 0)).entries, range(1, 5));
    });

    it('applies concurrent appends of one key in call order', async () => {
      await Promise.all(Array.from({ length: 12 }, (_, i) => journal.append('k', range(i * 3 + 1, i * 3 + 3), 0)));
      expectEntries((await journal.read('k', 0)).entries, range(1, 36));
    });

    it('fences an append whose epoch is older than the key epoch', async () => {
      await journal.append('k', range(1, 2), 3);
      expect(await codeOf(journal.append('k', range(3, 3), 2))).toBe('fenced');
      await journal.append('k', range(3, 3), 3);
      expectEntries((await journal.read('k', 0)).entries, range(1, 3));
    });

    it('fences the holder of an older lease once a newer one is taken', async () => {
      if (!adapter.acquire) return;
      const first = await adapter.acquire('l');
      await journal.append('l', range(1, 2), first.epoch);
      await first.release();
      const second = await adapter.acquire('l');
      expect(second.epoch).toBeGreaterThan(first.epoch);
      expect(await codeOf(journal.append('l', range(3, 3), first.epoch))).toBe('fenced');
      await journal.append('l', range(3, 3), second.epoch);
      expectEntries((await journal.read('l', 0)).entries, range(1, 3));
      await second.release();
    });

    it('truncates covered entries and keeps every later one', async () => {
      await journal.append('k', range(1, 10), 0);
      await journal.truncate('k', 6);
      expectEntries((await journal.read('k', 6)).entries, range(7, 10));
      const all = (await journal.read('k', 0)).entries;
      expectEntries(all.slice(all.length - 4), range(7, 10));
      // Reclaiming may lag; after later appends and a truncate past them, old entries are gone.
      await journal.append('k', range(11, 20), 0);
      await journal.truncate('k', 15);
      await journal.append('k', range(21, 22), 0);
      await journal.truncate('k', 20);
      const later = (await journal.read('k', 0)).entries;
      expect(later[0]!.seq).toBeGreaterThan(6);
      expectEntries(
        later.filter((e) => e.seq > 20),
        range(21, 22),
      );
    });

    it('continues numbering after the whole journal was truncated', async () => {
      await journal.append('k', range(1, 4), 0);
      await journal.truncate('k', 4);
      expectEntries((await journal.read('k', 4)).entries, []);
      await journal.append('k', range(5, 6), 0);
      expectEntries((await (await reopen()).read('k', 4)).entries, range(5, 6));
    });

    it.runIf(target.tearTail !== undefined)(
      'reports a torn tail, then a restarted writer cuts it and appends after the last good entry',
      async () => {
        await journal.append('k', range(1, 5), 0);
        await target.tearTail!('k');
        const next = await reopen();
        const read = await next.read('k', 0);
        expectEntries(read.entries, range(1, 5));
        expect(read.torn?.afterSeq).toBe(5);
        expect(read.torn!.byteLength).toBeGreaterThan(0);
        expect(read.corrupt).toBeUndefined();
        await next.append('k', range(6, 7), 0);
        const after = await next.read('k', 0);
        expectEntries(after.entries, range(1, 7));
        expect(after.torn).toBeUndefined();
        expect(await target.setAside('k')).toBe(0);
      },
    );

    it('stops at a corrupt entry and reports it; the next append sets the rest aside and continues after the last good entry', async () => {
      await journal.append('k', range(1, 3), 0);
      await journal.append('k', range(4, 6), 0);
      await target.corruptEntry('k', 4);
      const next = await reopen();
      const read = await next.read('k', 0);
      expectEntries(read.entries, range(1, 3));
      expect(read.corrupt?.afterSeq).toBe(3);
      expect(read.corrupt!.reason.length).toBeGreaterThan(0);
      expect(read.torn).toBeUndefined();
      // Reading is side-effect free: the damage is still there.
      expect((await next.read('k', 0)).corrupt?.afterSeq).toBe(3);
      await next.append('k', range(4, 5, 7), 0);
      const after = await next.read('k', 0);
      expectEntries(after.entries, [...range(1, 3), ...range(4, 5, 7)]);
      expect(after.corrupt).toBeUndefined();
      expect(await target.setAside('k')).toBeGreaterThan(0);
    });

    it('stores a large entry', async () => {
      const big = entry(1, 0, 1024 * 1024 + 5);
      await journal.append('k', [big], 0);
      expectEntries((await journal.read('k', 0)).entries, [big]);
    });

    it('refuses invalid keys and calls after dispose', async () => {
      expect(await codeOf(journal.append('', range(1, 1), 0))).toBe('invalid-key');
      expect(await codeOf(journal.read('a\0b', 0))).toBe('invalid-key');
      await journal.append('k', range(1, 1), 0);
      await adapter.dispose();
      expect(await codeOf(journal.append('k', range(2, 2), 0))).toBe('closed');
      expect(await codeOf(journal.read('k', 0))).toBe('closed');
    });
  });
}
