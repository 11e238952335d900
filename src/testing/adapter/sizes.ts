import { equal, sameBytes } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on record sizes: a large
 * record (unless `skipLarge`, then reported skipped) and an empty one.
 *
 * @example
 * ```ts
 * sizeCases(suite); // inside the suite's describe block
 * ```
 */
export function sizeCases(s: AdapterSuite): void {
  const { it, skip } = s;
  const record = conformanceRecord;
  const large = async () => {
    const big = record(1, 0, 5 * 1024 * 1024 + 3);
    await s.adapter.write('big', big);
    sameBytes(await s.adapter.read('big', 1), big.bytes, 'large record');
    equal((await s.adapter.list('big'))[0]?.byteLength, big.bytes.length, 'listed byteLength');
  };
  if (s.target.skipLarge === true) skip('stores a large record', large);
  else it('stores a large record', large);

  it('stores an empty record', async () => {
    await s.adapter.write('k', record(1, 0, 0));
    sameBytes(await s.adapter.read('k', 1), new Uint8Array(0), 'empty record');
  });
}
