import { codeOf, equal, matches, sameBytes } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on quarantine: a
 * generation leaves the list and keeps its bytes until deleted explicitly, its
 * sequence is never reused, and a missing one is `not-found`.
 *
 * @example
 * ```ts
 * quarantineCases(suite); // inside the suite's describe block
 * ```
 */
export function quarantineCases(s: AdapterSuite): void {
  const { it } = s;
  const record = conformanceRecord;
  it('quarantines a generation: out of the list, bytes kept until deleted explicitly', async () => {
    for (const seq of [1, 2]) await s.adapter.write('k', record(seq));
    const q = await s.adapter.quarantine('k', 2, 'corrupt: test');
    matches(q, { key: 'k', seq: 2, reason: 'corrupt: test' }, 'quarantine()');
    equal(await s.seqs('k'), [1], 'list after quarantine');
    equal(await s.adapter.read('k', 2), undefined, 'read of a quarantined generation');
    const listed = await s.adapter.listQuarantine('k');
    equal(listed.length, 1, 'listQuarantine(key) length');
    matches(listed[0], { id: q.id, key: 'k', seq: 2, reason: 'corrupt: test' }, 'listQuarantine(key)[0]');
    equal((await s.adapter.listQuarantine()).length, 1, 'listQuarantine() length');
    equal(await s.adapter.listQuarantine('other'), [], 'listQuarantine of another key');
    sameBytes(await s.adapter.readQuarantined('k', q.id), record(2).bytes, 'quarantined bytes');
    // The quarantined sequence is never reused, so a new write cannot shadow it.
    equal(await codeOf(s.adapter.write('k', record(2, 0, 3))), 'conflict', 'rewrite of the quarantined seq');
    await s.adapter.write('k', record(3));
    await s.adapter.deleteQuarantined('k', q.id);
    equal(await s.adapter.listQuarantine('k'), [], 'listQuarantine after delete');
    equal(await s.adapter.readQuarantined('k', q.id), undefined, 'readQuarantined after delete');
  });

  it('reports quarantine of a missing generation as not-found', async () => {
    equal(await codeOf(s.adapter.quarantine('k', 9, 'x')), 'not-found', 'quarantine of a missing generation');
  });
}
