import { check, codeOf, equal } from '../assert.js';
import { optionalCase } from '../test-api.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on locks (with `acquire`;
 * skipped with the reason otherwise): one holder at a time across two adapters
 * (with `createPeer`), an acquire that `dispose` overtakes leaves the key
 * free, and every acquire bumps the epoch so older writers are fenced.
 *
 * @example
 * ```ts
 * lockCases(suite); // inside the suite's describe block
 * ```
 */
export function lockCases(s: AdapterSuite): void {
  const { it, describe } = s;
  const record = conformanceRecord;
  const noLocks = () => (s.adapter.acquire ? undefined : 'the adapter has no acquire (capabilities.locks: false)');

  if (s.target.createPeer !== undefined) {
    describe('locks', () => {
      optionalCase(it, 'gives the lock to one holder, bumps the epoch and fences the old one', noLocks, async () => {
        const other = await s.peer();
        const lease = await s.adapter.acquire!('k');
        await s.adapter.write('k', record(1, lease.epoch));
        equal(await codeOf(other.acquire!('k')), 'lock-held', 'acquire while held');
        await lease.release();
        const next = await other.acquire!('k');
        check(next.epoch > lease.epoch, `the next epoch (${next.epoch}) must exceed ${lease.epoch}`);
        equal(await codeOf(s.adapter.write('k', record(2, lease.epoch))), 'fenced', 'write with the old epoch');
        await other.write('k', record(2, next.epoch));
        await next.release();
      });

      optionalCase(it, 'an acquire that dispose overtakes leaves the key free for the peer', noLocks, async () => {
        const other = await s.peer();
        await s.adapter.write('k', record(1));
        // dispose() right behind the acquire: the lock it takes meanwhile must go with the adapter.
        const acquiring = codeOf(s.adapter.acquire!('k'));
        await s.adapter.dispose();
        const outcome = await acquiring;
        check(outcome === 'ok' || outcome === 'closed', `the overtaken acquire settles ok or closed, got ${outcome}`);
        const next = await other.acquire!('k');
        await next.release();
      });
    });
  }

  optionalCase(it, 'acquire bumps the epoch so older writers are fenced', noLocks, async () => {
    await s.adapter.write('k', record(1, 0));
    const lease = await s.adapter.acquire!('k');
    check(lease.epoch > 0, `the lease epoch (${lease.epoch}) must be above 0`);
    equal(await codeOf(s.adapter.write('k', record(2, 0))), 'fenced', 'write with epoch 0 after acquire');
    await s.adapter.write('k', record(2, lease.epoch));
    await lease.release();
    await lease.release();
  });
}
