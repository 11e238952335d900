import { isCheckpointError } from '../../errors.js';
import { check, codeOf, equal, matches } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on errors: typed, carrying
 * the key and the adapter name; `closed` for every call after `dispose`.
 *
 * @example
 * ```ts
 * errorCases(suite); // inside the suite's describe block
 * ```
 */
export function errorCases(s: AdapterSuite): void {
  const { it } = s;
  const record = conformanceRecord;
  it('puts key and adapter name on its errors', async () => {
    await s.adapter.write('k', record(1));
    let caught: unknown;
    try {
      await s.adapter.write('k', record(1));
    } catch (error) {
      caught = error;
    }
    check(isCheckpointError(caught), 'a repeated write must fail with a CheckpointError');
    matches(caught, { key: 'k', adapter: s.adapter.name }, 'the error');
  });

  it('refuses every call after dispose with closed', async () => {
    await s.adapter.write('k', record(1));
    await s.adapter.dispose();
    equal(await codeOf(s.adapter.read('k', 1)), 'closed', 'read after dispose');
    equal(await codeOf(s.adapter.list('k')), 'closed', 'list after dispose');
    equal(await codeOf(s.adapter.write('k', record(2))), 'closed', 'write after dispose');
    await s.adapter.dispose();
  });
}
