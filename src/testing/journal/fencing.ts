import { check, codeOf, equal } from '../assert.js';
import { optionalCase } from '../test-api.js';
import { range, sameEntries, type JournalSuite } from './suite.js';

/**
 * Registers the cases of {@link journalConformance} on fencing: an append with
 * an epoch older than the key's is `fenced`, and so is the holder of an older
 * lease once a newer one is taken (with `acquire`).
 *
 * @example
 * ```ts
 * fencingCases(suite); // inside the suite's describe block
 * ```
 */
export function fencingCases(s: JournalSuite): void {
  const { it } = s;

  it('fences an append whose epoch is older than the key epoch', async () => {
    await s.journal.append('k', range(1, 2), 3);
    equal(await codeOf(s.journal.append('k', range(3, 3), 2)), 'fenced', 'append with epoch 2 after epoch 3');
    await s.journal.append('k', range(3, 3), 3);
    sameEntries(await s.entries(s.journal, 'k'), range(1, 3), 'read');
  });

  const noLocks = () => (s.adapter.acquire ? undefined : 'the adapter has no acquire (capabilities.locks: false)');
  optionalCase(it, 'fences the holder of an older lease once a newer one is taken', noLocks, async () => {
    const first = await s.adapter.acquire!('l');
    await s.journal.append('l', range(1, 2), first.epoch);
    await first.release();
    const second = await s.adapter.acquire!('l');
    check(second.epoch > first.epoch, `the next lease epoch (${second.epoch}) must exceed ${first.epoch}`);
    equal(await codeOf(s.journal.append('l', range(3, 3), first.epoch)), 'fenced', 'append with the old epoch');
    await s.journal.append('l', range(3, 3), second.epoch);
    sameEntries(await s.entries(s.journal, 'l'), range(1, 3), 'read');
    await second.release();
  });
}
