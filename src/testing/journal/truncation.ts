import { check } from '../assert.js';
import { range, sameEntries, type JournalSuite } from './suite.js';

/**
 * Registers the cases of {@link journalConformance} on truncation: covered
 * entries go, every later one stays, and numbering continues after the whole
 * journal was truncated.
 *
 * @example
 * ```ts
 * truncationCases(suite); // inside the suite's describe block
 * ```
 */
export function truncationCases(s: JournalSuite): void {
  const { it } = s;

  it('truncates covered entries and keeps every later one', async () => {
    await s.journal.append('k', range(1, 10), 0);
    await s.journal.truncate('k', 6);
    sameEntries(await s.entries(s.journal, 'k', 6), range(7, 10), 'read after seq 6, after truncate(6)');
    const all = await s.entries(s.journal, 'k');
    sameEntries(all.slice(all.length - 4), range(7, 10), 'the last entries after truncate(6)');
    // Reclaiming may lag; after later appends and a truncate past them, old entries are gone.
    await s.journal.append('k', range(11, 20), 0);
    await s.journal.truncate('k', 15);
    await s.journal.append('k', range(21, 22), 0);
    await s.journal.truncate('k', 20);
    const later = await s.entries(s.journal, 'k');
    check(later[0]!.seq > 6, `entry ${later[0]!.seq} is still read after truncate(15) and truncate(20)`);
    sameEntries(
      later.filter((e) => e.seq > 20),
      range(21, 22),
      'entries after seq 20',
    );
  });

  it('continues numbering after the whole journal was truncated', async () => {
    await s.journal.append('k', range(1, 4), 0);
    await s.journal.truncate('k', 4);
    sameEntries(await s.entries(s.journal, 'k', 4), [], 'read after truncating everything');
    await s.journal.append('k', range(5, 6), 0);
    sameEntries(await s.entries(await s.reopen(), 'k', 4), range(5, 6), 'read after a restart');
  });
}
