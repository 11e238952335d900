import type { CheckpointAdapter, JournalEntry, JournalStore } from '../adapter.js';
import { check, codeOf, equal } from './assert.js';
import { optionalCase, type TestApi } from './conformance.js';

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

const range = (from: number, to: number, salt = 0) =>
  Array.from({ length: to - from + 1 }, (_, i) => conformanceEntry(from + i, salt));

/** Throws unless `actual` holds the entries of `expected`: same sequences in order, same bytes. */
function sameEntries(actual: readonly JournalEntry[], expected: readonly JournalEntry[], what: string): void {
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
 * The journal part of the adapter contract ({@link JournalStore}) as test
 * cases, for any test runner: registers one `describe` block with the
 * functions you pass, as `adapterConformance` does. It checks atomic,
 * ordered, fenced appends; exact bytes; reads that stop at damage and report
 * it (a torn tail, a corrupt entry); side-effect-free reads; truncation; and
 * appends that always continue right after the last good entry, setting the
 * damage aside instead of deleting it.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, it } from 'vitest'; // or node:test, or Jest's globals
 * import { journalConformance } from 'xstate-checkpoint/testing';
 * import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * let store = createMemoryStore();
 * journalConformance(
 *   'memory',
 *   {
 *     create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
 *     reopen: () => memoryAdapter({ store }),
 *     corruptEntry: () => {}, // flip a stored payload byte of that entry
 *     setAside: () => 0, // count what the store moved aside for that key
 *   },
 *   { describe, it, beforeEach, afterEach },
 * );
 * ```
 */
export function journalConformance(name: string, target: JournalConformanceTarget, api: TestApi): void {
  const { describe, it, beforeEach, afterEach } = api;
  const entry = conformanceEntry;

  describe(`journal conformance: ${name}`, () => {
    let adapter: CheckpointAdapter;
    let journal: JournalStore;
    const others: CheckpointAdapter[] = [];
    const reopen = async () => {
      const next = await target.reopen();
      others.push(next);
      check(next.journal !== undefined, 'the reopened adapter must offer a journal');
      return next.journal;
    };
    const entries = async (store: JournalStore, key: string, afterSeq = 0) => (await store.read(key, afterSeq)).entries;

    beforeEach(async () => {
      adapter = await target.create();
      check(adapter.journal !== undefined, `the adapter ${adapter.name} must offer a journal`);
      journal = adapter.journal;
    });
    afterEach(async () => {
      for (const a of others.splice(0)) await a.dispose().catch(() => undefined);
      await adapter.dispose().catch(() => undefined);
      await target.cleanup?.();
    });

    it('reads nothing from an empty journal', async () => {
      equal(await journal.read('nothing', 0), { entries: [] }, 'read of an unknown key');
    });

    it('round-trips entries exactly, in order, across appends', async () => {
      await journal.append('k', range(1, 3), 0);
      await journal.append('k', range(4, 4), 0);
      await journal.append('k', range(5, 9), 0);
      const read = await journal.read('k', 0);
      sameEntries(read.entries, range(1, 9), 'read after three appends');
      equal(read.torn, undefined, 'torn on an intact journal');
      equal(read.corrupt, undefined, 'corrupt on an intact journal');
      sameEntries(await entries(await reopen(), 'k'), range(1, 9), 'read after a restart');
    });

    it('reads only the entries after the given sequence', async () => {
      await journal.append('k', range(1, 6), 0);
      sameEntries(await entries(journal, 'k', 4), range(5, 6), 'read after seq 4');
      sameEntries(await entries(journal, 'k', 6), [], 'read after the last seq');
      sameEntries(await entries(journal, 'k', 60), [], 'read after a seq beyond the end');
    });

    it('returns bytes the caller cannot use to change what is stored', async () => {
      await journal.append('k', range(1, 2), 0);
      for (const e of await entries(journal, 'k')) e.bytes.fill(0);
      sameEntries(await entries(journal, 'k'), range(1, 2), 'read after the caller zeroed its copies');
    });

    it('keeps keys apart', async () => {
      await journal.append('a', range(1, 2, 1), 0);
      await journal.append('b', range(1, 3, 2), 0);
      sameEntries(await entries(journal, 'a'), range(1, 2, 1), 'key a');
      sameEntries(await entries(journal, 'b'), range(1, 3, 2), 'key b');
    });

    it('refuses sequences that do not increase with conflict, storing nothing of that call', async () => {
      await journal.append('k', range(1, 3), 0);
      equal(await codeOf(journal.append('k', [entry(3, 9)], 0)), 'conflict', 'append repeating seq 3');
      equal(await codeOf(journal.append('k', [entry(2, 9), entry(4, 9)], 0)), 'conflict', 'append starting at seq 2');
      equal(
        await codeOf(journal.append('k', [entry(4, 9), entry(6, 9), entry(5, 9)], 0)),
        'conflict',
        'append of seqs 4, 6, 5',
      );
      sameEntries(await entries(journal, 'k'), range(1, 3), 'read after the refused appends');
      await journal.append('k', range(4, 5), 0);
      sameEntries(await entries(journal, 'k'), range(1, 5), 'read after appending 4 and 5');
    });

    it('applies concurrent appends of one key in call order', async () => {
      await Promise.all(Array.from({ length: 12 }, (_, i) => journal.append('k', range(i * 3 + 1, i * 3 + 3), 0)));
      sameEntries(await entries(journal, 'k'), range(1, 36), 'read after 12 concurrent appends');
    });

    it('resolves concurrent appends in call order (what a pipelined journal promises)', async () => {
      const resolved: number[] = [];
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          journal.append('k', range(i * 2 + 1, i * 2 + 2), 0).then(() => resolved.push(i)),
        ),
      );
      check(
        resolved.every((value, i) => value === i),
        `appends resolved in the order ${resolved.join(', ')}; a journal${journal.pipelined ? ' that says it is pipelined' : ''} must resolve them in call order`,
      );
    });

    it('fences an append whose epoch is older than the key epoch', async () => {
      await journal.append('k', range(1, 2), 3);
      equal(await codeOf(journal.append('k', range(3, 3), 2)), 'fenced', 'append with epoch 2 after epoch 3');
      await journal.append('k', range(3, 3), 3);
      sameEntries(await entries(journal, 'k'), range(1, 3), 'read');
    });

    const noLocks = () => (adapter.acquire ? undefined : 'the adapter has no acquire (capabilities.locks: false)');
    optionalCase(it, 'fences the holder of an older lease once a newer one is taken', noLocks, async () => {
      const first = await adapter.acquire!('l');
      await journal.append('l', range(1, 2), first.epoch);
      await first.release();
      const second = await adapter.acquire!('l');
      check(second.epoch > first.epoch, `the next lease epoch (${second.epoch}) must exceed ${first.epoch}`);
      equal(await codeOf(journal.append('l', range(3, 3), first.epoch)), 'fenced', 'append with the old epoch');
      await journal.append('l', range(3, 3), second.epoch);
      sameEntries(await entries(journal, 'l'), range(1, 3), 'read');
      await second.release();
    });

    it('truncates covered entries and keeps every later one', async () => {
      await journal.append('k', range(1, 10), 0);
      await journal.truncate('k', 6);
      sameEntries(await entries(journal, 'k', 6), range(7, 10), 'read after seq 6, after truncate(6)');
      const all = await entries(journal, 'k');
      sameEntries(all.slice(all.length - 4), range(7, 10), 'the last entries after truncate(6)');
      // Reclaiming may lag; after later appends and a truncate past them, old entries are gone.
      await journal.append('k', range(11, 20), 0);
      await journal.truncate('k', 15);
      await journal.append('k', range(21, 22), 0);
      await journal.truncate('k', 20);
      const later = await entries(journal, 'k');
      check(later[0]!.seq > 6, `entry ${later[0]!.seq} is still read after truncate(15) and truncate(20)`);
      sameEntries(
        later.filter((e) => e.seq > 20),
        range(21, 22),
        'entries after seq 20',
      );
    });

    it('continues numbering after the whole journal was truncated', async () => {
      await journal.append('k', range(1, 4), 0);
      await journal.truncate('k', 4);
      sameEntries(await entries(journal, 'k', 4), [], 'read after truncating everything');
      await journal.append('k', range(5, 6), 0);
      sameEntries(await entries(await reopen(), 'k', 4), range(5, 6), 'read after a restart');
    });

    const tornTail = async () => {
      await journal.append('k', range(1, 5), 0);
      await target.tearTail!('k');
      const next = await reopen();
      const read = await next.read('k', 0);
      sameEntries(read.entries, range(1, 5), 'read of a torn journal');
      equal(read.torn?.afterSeq, 5, 'torn.afterSeq');
      check((read.torn?.byteLength ?? 0) > 0, 'torn.byteLength must count the torn bytes');
      equal(read.corrupt, undefined, 'corrupt (a torn tail is not corruption)');
      await next.append('k', range(6, 7), 0);
      const after = await next.read('k', 0);
      sameEntries(after.entries, range(1, 7), 'read after the next append');
      equal(after.torn, undefined, 'torn after the next append');
      equal(await target.setAside('k'), 0, 'bytes set aside for a torn tail (never acknowledged: cut)');
    };
    const tornTitle = 'reports a torn tail, then a restarted writer cuts it and appends after the last good entry';
    if (target.tearTail !== undefined) it(tornTitle, tornTail);
    else api.it.skip?.(tornTitle, tornTail);

    it('stops at a corrupt entry and reports it; the next append sets the rest aside and continues after the last good entry', async () => {
      await journal.append('k', range(1, 3), 0);
      await journal.append('k', range(4, 6), 0);
      await target.corruptEntry('k', 4);
      const next = await reopen();
      const read = await next.read('k', 0);
      sameEntries(read.entries, range(1, 3), 'read of a journal with entry 4 corrupt');
      equal(read.corrupt?.afterSeq, 3, 'corrupt.afterSeq');
      check((read.corrupt?.reason.length ?? 0) > 0, 'corrupt.reason must say what was found');
      equal(read.torn, undefined, 'torn (corruption followed by data is not a torn tail)');
      // Reading is side-effect free: the damage is still there.
      equal((await next.read('k', 0)).corrupt?.afterSeq, 3, 'corrupt.afterSeq on a second read');
      await next.append('k', range(4, 5, 7), 0);
      const after = await next.read('k', 0);
      sameEntries(after.entries, [...range(1, 3), ...range(4, 5, 7)], 'read after the next append');
      equal(after.corrupt, undefined, 'corrupt after the next append');
      const aside = await target.setAside('k');
      check(aside > 0, `the damaged part must be set aside (kept), ${aside} bytes or rows were`);
    });

    it('stores a large entry', async () => {
      const big = entry(1, 0, 1024 * 1024 + 5);
      await journal.append('k', [big], 0);
      sameEntries(await entries(journal, 'k'), [big], 'read of a 1 MB entry');
    });

    it('refuses invalid keys and calls after dispose', async () => {
      equal(await codeOf(journal.append('', range(1, 1), 0)), 'invalid-key', 'append with an empty key');
      equal(await codeOf(journal.read('a\0b', 0)), 'invalid-key', 'read with a NUL in the key');
      await journal.append('k', range(1, 1), 0);
      await adapter.dispose();
      equal(await codeOf(journal.append('k', range(2, 2), 0)), 'closed', 'append after dispose');
      equal(await codeOf(journal.read('k', 0)), 'closed', 'read after dispose');
    });
  });
}
