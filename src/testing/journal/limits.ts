import { codeOf, equal } from '../assert.js';
import { conformanceEntry, range, sameEntries, type JournalSuite } from './suite.js';

/**
 * Registers the cases of {@link journalConformance} on limits: a large entry,
 * invalid keys, and `closed` after `dispose`.
 *
 * @example
 * ```ts
 * limitCases(suite); // inside the suite's describe block
 * ```
 */
export function limitCases(s: JournalSuite): void {
  const { it } = s;
  const entry = conformanceEntry;
  it('stores a large entry', async () => {
    const big = entry(1, 0, 1024 * 1024 + 5);
    await s.journal.append('k', [big], 0);
    sameEntries(await s.entries(s.journal, 'k'), [big], 'read of a 1 MB entry');
  });

  it('refuses invalid keys and calls after dispose', async () => {
    equal(await codeOf(s.journal.append('', range(1, 1), 0)), 'invalid-key', 'append with an empty key');
    equal(await codeOf(s.journal.read('a\0b', 0)), 'invalid-key', 'read with a NUL in the key');
    await s.journal.append('k', range(1, 1), 0);
    await s.adapter.dispose();
    equal(await codeOf(s.journal.append('k', range(2, 2), 0)), 'closed', 'append after dispose');
    equal(await codeOf(s.journal.read('k', 0)), 'closed', 'read after dispose');
  });
}
