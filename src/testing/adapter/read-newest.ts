import type { NewestRead } from '../../adapter.js';
import { isCheckpointError } from '../../errors.js';
import { check, codeOf, equal, sameBytes } from '../assert.js';
import { optionalCase } from '../test-api.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on the optional
 * `readNewest`: it agrees with `list`, `read`, `listQuarantine` and fencing;
 * and on the optional `readNewestMany`: each answer is what `readNewest`
 * answers for that key alone (each skipped, with the reason, when the adapter
 * has none).
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
  optionalCase(
    it,
    'readNewestMany (optional) answers each key, in order, as readNewest does',
    () => (s.adapter.readNewestMany ? undefined : 'the adapter has no readNewestMany (optional)'),
    async () => {
      const many = s.adapter.readNewestMany!.bind(s.adapter);
      await s.adapter.write('a', record(1, 0));
      for (const seq of [2, 3]) await s.adapter.write('a', record(seq, 1));
      await s.adapter.quarantine('a', 3, 'corrupt: test');
      await s.adapter.write('b', record(1));
      // Written, quarantined, never written, refused, asked twice, any characters.
      const keys = ['a', 'b', 'never', '', 'a', 'ünï/cødé key'];
      equal(await many([]), [], 'readNewestMany([])');
      const answers = await many(keys);
      equal(answers.length, keys.length, 'readNewestMany(keys).length');
      for (const [i, key] of keys.entries()) {
        const got = answers[i]!;
        const alone = await s.adapter.readNewest!(key).catch((error: unknown) => error as Error);
        equal(answerOf(got), answerOf(alone), `readNewestMany answer ${i} (${JSON.stringify(key)}) against readNewest`);
        if (!(got instanceof Error) && got.newest) {
          sameBytes(got.newest.bytes, (await s.adapter.read(key, got.newest.seq))!, `readNewestMany answer ${i} bytes`);
        }
      }
      equal(answerOf(answers[3]!), { code: 'invalid-key' }, 'readNewestMany answer for an empty key');
    },
  );
}

/** A `readNewest` answer (or its error's code) in a form {@link equal} compares. */
function answerOf(read: NewestRead | Error): unknown {
  if (read instanceof Error) {
    check(isCheckpointError(read), `an error that is not a CheckpointError: ${String(read)}`);
    return { code: read.code };
  }
  return { seqs: read.seqs, quarantinedSeq: read.quarantinedSeq, epoch: read.epoch, newest: read.newest?.seq };
}
