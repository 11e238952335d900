import { check, codeOf, equal } from '../assert.js';
import { conformanceEntry, range, sameEntries, type JournalSuite } from './suite.js';

/**
 * Registers the cases of {@link journalConformance} on order: sequences that
 * do not increase are refused with `conflict` (storing nothing of that call),
 * and concurrent appends of one key apply and resolve in call order.
 *
 * @example
 * ```ts
 * orderCases(suite); // inside the suite's describe block
 * ```
 */
export function orderCases(s: JournalSuite): void {
  const { it } = s;
  const entry = conformanceEntry;
  it('refuses sequences that do not increase with conflict, storing nothing of that call', async () => {
    await s.journal.append('k', range(1, 3), 0);
    equal(await codeOf(s.journal.append('k', [entry(3, 9)], 0)), 'conflict', 'append repeating seq 3');
    equal(await codeOf(s.journal.append('k', [entry(2, 9), entry(4, 9)], 0)), 'conflict', 'append starting at seq 2');
    equal(
      await codeOf(s.journal.append('k', [entry(4, 9), entry(6, 9), entry(5, 9)], 0)),
      'conflict',
      'append of seqs 4, 6, 5',
    );
    sameEntries(await s.entries(s.journal, 'k'), range(1, 3), 'read after the refused appends');
    await s.journal.append('k', range(4, 5), 0);
    sameEntries(await s.entries(s.journal, 'k'), range(1, 5), 'read after appending 4 and 5');
  });

  it('applies concurrent appends of one key in call order', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => s.journal.append('k', range(i * 3 + 1, i * 3 + 3), 0)));
    sameEntries(await s.entries(s.journal, 'k'), range(1, 36), 'read after 12 concurrent appends');
  });

  it('resolves concurrent appends in call order (what a pipelined journal promises)', async () => {
    const resolved: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        s.journal.append('k', range(i * 2 + 1, i * 2 + 2), 0).then(() => resolved.push(i)),
      ),
    );
    check(
      resolved.every((value, i) => value === i),
      `appends resolved in the order ${resolved.join(', ')}; a journal${s.journal.pipelined ? ' that says it is pipelined' : ''} must resolve them in call order`,
    );
  });
}
