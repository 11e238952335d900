import { check, equal, sameBytes } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on the basics of reading
 * and writing: name and capabilities, an empty store, exact bytes and
 * metadata, copies the caller cannot change, newest-first listings, keys kept
 * apart.
 *
 * @example
 * ```ts
 * readWriteCases(suite); // inside the suite's describe block
 * ```
 */
export function readWriteCases(s: AdapterSuite): void {
  const { it } = s;
  const record = conformanceRecord;
  it('declares a name and capabilities', () => {
    check(typeof s.adapter.name === 'string' && s.adapter.name.length > 0, 'name must be a non-empty string');
    for (const flag of ['durable', 'crossProcess', 'locks'] as const) {
      check(typeof s.adapter.capabilities[flag] === 'boolean', `capabilities.${flag} must be a boolean`);
    }
    equal(s.adapter.capabilities.locks, typeof s.adapter.acquire === 'function', 'capabilities.locks matches acquire');
  });

  it('starts empty', async () => {
    equal(await s.adapter.list('nothing'), [], 'list of an unknown key');
    equal(await s.adapter.read('nothing', 1), undefined, 'read of an unknown key');
    equal(await s.adapter.keys(), [], 'keys of an empty store');
    equal(await s.adapter.listQuarantine(), [], 'quarantine of an empty store');
  });

  it('round-trips bytes and metadata exactly', async () => {
    const r = record(1);
    await s.adapter.write('k', r);
    sameBytes(await s.adapter.read('k', 1), r.bytes);
    equal(
      await s.adapter.list('k'),
      [{ seq: 1, epoch: 0, byteLength: r.bytes.length, createdAt: r.createdAt }],
      'list after one write',
    );
  });

  it('returns bytes the caller cannot use to change what is stored', async () => {
    await s.adapter.write('k', record(1));
    const first = await s.adapter.read('k', 1);
    first!.fill(0);
    sameBytes(await s.adapter.read('k', 1), record(1).bytes, 'bytes after the caller zeroed its copy');
  });

  it('lists generations newest first and reads each', async () => {
    for (const seq of [1, 2, 3, 4]) await s.adapter.write('k', record(seq));
    equal(await s.seqs('k'), [4, 3, 2, 1], 'list order');
    for (const seq of [1, 2, 3, 4]) sameBytes(await s.adapter.read('k', seq), record(seq).bytes, `generation ${seq}`);
  });

  it('keeps keys apart', async () => {
    await s.adapter.write('a', record(1));
    await s.adapter.write('b', record(1, 0, 10));
    sameBytes(await s.adapter.read('a', 1), record(1).bytes, 'key a');
    sameBytes(await s.adapter.read('b', 1), record(1, 0, 10).bytes, 'key b');
    equal((await s.adapter.keys()).sort(), ['a', 'b'], 'keys');
  });
}
