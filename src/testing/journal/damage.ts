import { check, equal } from '../assert.js';
import { optionalCase } from '../test-api.js';
import { range, sameEntries, type JournalSuite } from './suite.js';

/**
 * Registers the cases of {@link journalConformance} on damage: a torn tail
 * (with `tearTail`) is reported and cut by the next append; a corrupt entry is
 * reported on every read and set aside (kept) by the next append, which
 * continues after the last good entry; entries marked with the optional
 * `setAsideAfter` (sound frames the kit cannot decode) are treated the same.
 *
 * @example
 * ```ts
 * damageCases(suite); // inside the suite's describe block
 * ```
 */
export function damageCases(s: JournalSuite): void {
  const { it, skip } = s;

  const tornTail = async () => {
    await s.journal.append('k', range(1, 5), 0);
    await s.target.tearTail!('k');
    const next = await s.reopen();
    const read = await next.read('k', 0);
    sameEntries(read.entries, range(1, 5), 'read of a torn journal');
    equal(read.torn?.afterSeq, 5, 'torn.afterSeq');
    check((read.torn?.byteLength ?? 0) > 0, 'torn.byteLength must count the torn bytes');
    equal(read.corrupt, undefined, 'corrupt (a torn tail is not corruption)');
    await next.append('k', range(6, 7), 0);
    const after = await next.read('k', 0);
    sameEntries(after.entries, range(1, 7), 'read after the next append');
    equal(after.torn, undefined, 'torn after the next append');
    equal(await s.target.setAside('k'), 0, 'bytes set aside for a torn tail (never acknowledged: cut)');
  };
  const tornTitle = 'reports a torn tail, then a restarted writer cuts it and appends after the last good entry';
  if (s.target.tearTail !== undefined) it(tornTitle, tornTail);
  else skip(tornTitle, tornTail);

  it('stops at a corrupt entry and reports it; the next append sets the rest aside and continues after the last good entry', async () => {
    await s.journal.append('k', range(1, 3), 0);
    await s.journal.append('k', range(4, 6), 0);
    await s.target.corruptEntry('k', 4);
    const next = await s.reopen();
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
    const aside = await s.target.setAside('k');
    check(aside > 0, `the damaged part must be set aside (kept), ${aside} bytes or rows were`);
  });
  optionalCase(
    it,
    'setAsideAfter (optional): reads stop there, the next append sets the rest aside and continues after it',
    () => (s.journal.setAsideAfter ? undefined : 'the store has no setAsideAfter (optional)'),
    async () => {
      await s.journal.append('k', range(1, 3), 0);
      await s.journal.append('k', range(4, 6), 0);
      await s.journal.setAsideAfter!('k', 3);
      const read = await s.journal.read('k', 0);
      sameEntries(read.entries, range(1, 3), 'read after setAsideAfter(3)');
      equal(read.corrupt?.afterSeq, 3, 'corrupt.afterSeq after setAsideAfter(3)');
      check((read.corrupt?.byteLength ?? 0) > 0, 'corrupt.byteLength must count what follows the mark');
      equal((await s.journal.read('k', 0)).corrupt?.afterSeq, 3, 'corrupt.afterSeq on a second read');
      await s.journal.append('k', range(4, 5, 7), 0);
      const after = await s.journal.read('k', 0);
      sameEntries(after.entries, [...range(1, 3), ...range(4, 5, 7)], 'read after the next append');
      equal(after.corrupt, undefined, 'corrupt after the next append');
      await s.journal.append('k', range(6, 6, 8), 0);
      sameEntries((await s.journal.read('k', 5)).entries, range(6, 6, 8), 'entries after the mark keep coming');
      const aside = await s.target.setAside('k');
      check(aside > 0, `the entries after the mark must be set aside (kept), ${aside} bytes or rows were`);
    },
  );
}
