import { codeOf, equal } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on `remove`: missing
 * generations are ignored, and a removed sequence is never reused.
 *
 * @example
 * ```ts
 * removalCases(suite); // inside the suite's describe block
 * ```
 */
export function removalCases(s: AdapterSuite): void {
  const { it } = s;
  const record = conformanceRecord;
  it('removes generations, ignoring missing ones', async () => {
    for (const seq of [1, 2, 3]) await s.adapter.write('k', record(seq));
    await s.adapter.remove('k', 1);
    await s.adapter.remove('k', 42);
    equal(await s.seqs('k'), [3, 2], 'list after remove');
    equal(await s.adapter.read('k', 1), undefined, 'read of a removed generation');
  });

  it('does not reuse a removed sequence number below the newest', async () => {
    for (const seq of [1, 2]) await s.adapter.write('k', record(seq));
    await s.adapter.remove('k', 1);
    equal(await codeOf(s.adapter.write('k', record(1))), 'conflict', 'rewrite of removed seq 1');
  });
}
