import { codeOf, equal, sameBytes } from '../assert.js';
import { conformanceRecord, type AdapterSuite } from './suite.js';

/**
 * Registers the cases of {@link adapterConformance} on two writers on one
 * store (with `createPeer`): each sees the other, one of two racing
 * writers wins each sequence, and writes in flight when the adapter is
 * disposed settle (`closed`, or there for the peer).
 *
 * @example
 * ```ts
 * peerCases(suite); // inside the suite's describe block
 * ```
 */
export function peerCases(s: AdapterSuite): void {
  const { it, describe } = s;
  const record = conformanceRecord;
  if (s.target.createPeer === undefined) return;
  describe('with a second writer on the same store', () => {
    it('sees the other writer and refuses its sequence', async () => {
      const other = await s.peer();
      await s.adapter.write('k', record(1));
      equal(
        (await other.list('k')).map((g) => g.seq),
        [1],
        "the peer's list",
      );
      equal(await codeOf(other.write('k', record(1, 0, 9))), 'conflict', 'the peer repeating seq 1');
      await other.write('k', record(2));
      equal(await codeOf(s.adapter.write('k', record(2, 0, 9))), 'conflict', "repeating the peer's seq 2");
      sameBytes(await s.adapter.read('k', 2), record(2).bytes, "the peer's generation 2");
    });

    it('lets one of two racing writers win each sequence, never both', async () => {
      const other = await s.peer();
      for (let seq = 1; seq <= 10; seq++) {
        const r = await Promise.all([
          codeOf(s.adapter.write('k', record(seq, 0, 10))),
          codeOf(other.write('k', record(seq, 0, 11))),
        ]);
        equal(r.filter((c) => c === 'ok').length, 1, `winners of seq ${seq}`);
      }
      equal((await s.adapter.list('k')).length, 10, 'generations');
    });

    it('settles every write in flight when dispose runs; each acknowledged one is there for the peer', async () => {
      const other = await s.peer();
      await s.adapter.write('warm', record(1));
      // More writes than a small connection pool holds, so some wait for a connection.
      const keys = Array.from({ length: 12 }, (_, i) => `inflight-${i}`);
      const writes = keys.map((key) => codeOf(s.adapter.write(key, record(1))));
      await s.adapter.dispose();
      const outcomes = await Promise.all(writes);
      for (const [i, key] of keys.entries()) {
        const outcome = outcomes[i]!;
        if (outcome !== 'ok') equal(outcome, 'closed', `the write of ${key}, refused`);
        else
          equal(
            (await other.list(key)).map((g) => g.seq),
            [1],
            `the acknowledged write of ${key}`,
          );
      }
    });
  });
}
