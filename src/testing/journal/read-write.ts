import { equal } from '../assert.js';
import { range, sameEntries, type JournalSuite } from './suite.js';

/**
 * Registers the cases of {@link journalConformance} on reading and appending:
 * an empty journal, entries round-tripped exactly and in order (also after a
 * restart), reads after a sequence, copies the caller cannot change, keys kept
 * apart.
 *
 * @example
 * ```ts
 * readWriteCases(suite); // inside the suite's describe block
 * ```
 */
export function readWriteCases(s: JournalSuite): void {
  const { it } = s;

  it('reads nothing from an empty journal', async () => {
    equal(await s.journal.read('nothing', 0), { entries: [] }, 'read of an unknown key');
  });

  it('round-trips entries exactly, in order, across appends', async () => {
    await s.journal.append('k', range(1, 3), 0);
    await s.journal.append('k', range(4, 4), 0);
    await s.journal.append('k', range(5, 9), 0);
    const read = await s.journal.read('k', 0);
    sameEntries(read.entries, range(1, 9), 'read after three appends');
    equal(read.torn, undefined, 'torn on an intact journal');
    equal(read.corrupt, undefined, 'corrupt on an intact journal');
    sameEntries(await s.entries(await s.reopen(), 'k'), range(1, 9), 'read after a restart');
  });

  it('reads only the entries after the given sequence', async () => {
    await s.journal.append('k', range(1, 6), 0);
    sameEntries(await s.entries(s.journal, 'k', 4), range(5, 6), 'read after seq 4');
    sameEntries(await s.entries(s.journal, 'k', 6), [], 'read after the last seq');
    sameEntries(await s.entries(s.journal, 'k', 60), [], 'read after a seq beyond the end');
  });

  it('returns bytes the caller cannot use to change what is stored', async () => {
    await s.journal.append('k', range(1, 2), 0);
    for (const e of await s.entries(s.journal, 'k')) e.bytes.fill(0);
    sameEntries(await s.entries(s.journal, 'k'), range(1, 2), 'read after the caller zeroed its copies');
  });

  it('keeps keys apart', async () => {
    await s.journal.append('a', range(1, 2, 1), 0);
    await s.journal.append('b', range(1, 3, 2), 0);
    sameEntries(await s.entries(s.journal, 'a'), range(1, 2, 1), 'key a');
    sameEntries(await s.entries(s.journal, 'b'), range(1, 3, 2), 'key b');
  });
}
