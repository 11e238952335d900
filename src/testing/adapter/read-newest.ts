import { codeOf, equal, sameBytes } from '../assert.js';
import { optionalCase } from '../test-api.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on the optional
 * `readNewest`: it agrees with `list`, `read`, `listQuarantine` and fencing
 * (skipped, with the reason, when the adapter has none).
 *
 * @example
 * ```ts
 * readNewestCases(suite); // inside the suite's describe block
 * ```
 */
export function readNewestCases(s: AdapterSuite): void {
  const { it } = s;
  const record = conformanceRecord;
  const noReadNewest = () => (s.adapter.readNewest ? undefined : 'the adapter has no readNewest (optional)');

  optionalCase(
    it,
    'readNewest (optional) agrees with list, read, listQuarantine and fencing',
    noReadNewest,
    async () => {
      const readNewest = s.adapter.readNewest!.bind(s.adapter);
      const empty = await readNewest('k');
      equal(
        [empty.seqs, empty.quarantinedSeq, empty.epoch, empty.newest],
        [[], 0, 0, undefined],
        'readNewest of a new key',
      );
      await s.adapter.write('k', record(1, 0));
      for (const seq of [2, 3]) await s.adapter.write('k', record(seq, 1));
      await s.adapter.quarantine('k', 3, 'corrupt: test');
      const found = await readNewest('k');
      equal(found.seqs, await s.seqs('k'), 'readNewest().seqs against list()');
      equal(found.quarantinedSeq, 3, 'readNewest().quarantinedSeq');
      equal(found.epoch, 1, 'readNewest().epoch (the newest generation written with epoch 1)');
      equal(found.newest?.seq, 2, 'readNewest().newest.seq');
      sameBytes(found.newest?.bytes, (await s.adapter.read('k', 2))!, 'readNewest().newest.bytes against read()');
      if (s.adapter.acquire) {
        // A writer without a lease takes this epoch: a lock holder's newer epoch must still fence it.
        const lease = await s.adapter.acquire('k');
        equal((await readNewest('k')).epoch, 1, 'readNewest().epoch after acquire (generations only)');
        equal(await codeOf(s.adapter.write('k', record(4, 1))), 'fenced', 'write with that epoch after acquire');
        await lease.release();
      }
    },
  );
}
