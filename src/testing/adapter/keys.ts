import { codeOf, equal, sameBytes } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on keys: any characters
 * without collisions or escapes; the empty key and NUL are `invalid-key`.
 *
 * @example
 * ```ts
 * keyCases(suite); // inside the suite's describe block
 * ```
 */
export function keyCases(s: AdapterSuite): void {
  const { it } = s;
  const record = conformanceRecord;
  it('stores keys with any characters, without collisions or escapes', async () => {
    const keys = [
      '../escape',
      '../../etc/passwd',
      '/absolute/path',
      'a/b\\c',
      'CON',
      'nul.txt',
      'Case',
      'case',
      'CASE',
      'with space',
      'dots...',
      '.',
      '..',
      'ünïcødé',
      'emoji 🧪',
      'x'.repeat(600),
      'x'.repeat(601),
      ':*?"<>|',
    ];
    for (const [i, k] of keys.entries()) await s.adapter.write(k, record(1, 0, i + 1));
    equal((await s.adapter.keys()).sort(), [...keys].sort(), 'keys');
    for (const [i, k] of keys.entries()) sameBytes(await s.adapter.read(k, 1), record(1, 0, i + 1).bytes, `key ${k}`);
  });

  it('refuses invalid keys with invalid-key', async () => {
    equal(await codeOf(s.adapter.write('', record(1))), 'invalid-key', 'write with an empty key');
    equal(await codeOf(s.adapter.write('a\0b', record(1))), 'invalid-key', 'write with a NUL in the key');
    equal(await codeOf(s.adapter.list('')), 'invalid-key', 'list with an empty key');
  });
}
