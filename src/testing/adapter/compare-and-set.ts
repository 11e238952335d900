import { codeOf, equal, sameBytes } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on compare-and-set on
 * `seq` and fencing on `epoch`: a stale or repeated sequence is refused with
 * `conflict`, one of many concurrent writers wins, many keys are written at
 * once, an older epoch is `fenced`.
 *
 * @example
 * ```ts
 * compareAndSetCases(suite); // inside the suite's describe block
 * ```
 */
export function compareAndSetCases(s: AdapterSuite): void {
  const { it } = s;
  const record = conformanceRecord;
  it('refuses a stale or repeated sequence with conflict and keeps the stored generation', async () => {
    await s.adapter.write('k', record(1));
    await s.adapter.write('k', record(2));
    equal(await codeOf(s.adapter.write('k', record(2, 0, 5))), 'conflict', 'repeated seq 2');
    equal(await codeOf(s.adapter.write('k', record(1, 0, 5))), 'conflict', 'stale seq 1');
    sameBytes(await s.adapter.read('k', 2), record(2).bytes, 'generation 2 after the refused writes');
    equal(await s.seqs('k'), [2, 1], 'list');
  });

  it('lets exactly one of many concurrent writers of one sequence win', async () => {
    await s.adapter.write('k', record(1));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => codeOf(s.adapter.write('k', record(2, 0, 20 + i)))),
    );
    equal(results.filter((r) => r === 'ok').length, 1, 'winners');
    equal(results.filter((r) => r === 'conflict').length, 7, 'writers refused with conflict');
    const winner = results.indexOf('ok');
    sameBytes(await s.adapter.read('k', 2), record(2, 0, 20 + winner).bytes, "the winner's bytes");
  });

  it('writes many keys concurrently', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    await Promise.all(keys.map((k) => s.adapter.write(k, record(1))));
    equal((await s.adapter.keys()).sort(), [...keys].sort(), 'keys');
  });

  it('fences a writer whose epoch is older than the newest one', async () => {
    await s.adapter.write('k', record(1, 2));
    equal(await codeOf(s.adapter.write('k', record(2, 1))), 'fenced', 'epoch 1 after epoch 2');
    await s.adapter.write('k', record(2, 2));
    await s.adapter.write('k', record(3, 5));
    equal(await codeOf(s.adapter.write('k', record(4, 2))), 'fenced', 'epoch 2 after epoch 5');
    equal(await s.seqs('k'), [3, 2, 1], 'list');
  });
}
