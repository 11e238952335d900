import type { CheckpointAdapter, CheckpointRecord } from '../adapter.js';
import { isCheckpointError } from '../errors.js';
import { check, codeOf, equal, matches, sameBytes } from './assert.js';

/** What a conformance run needs: a fresh, empty adapter per test, and a way to clean up. */
export interface ConformanceTarget {
  /** A new adapter over an empty store. Called before every test. */
  create(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /**
   * A second adapter over the same store as the last `create()` (another
   * process or tab in real life). Enables the cross-writer cases.
   */
  createPeer?(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /** Removes what the test left behind. */
  cleanup?(): Promise<void> | void;
  /** Skip the multi-megabyte record case (slow stores). @default false */
  skipLarge?: boolean;
}

/**
 * A test or hook body. Runners hand it their test context as the first
 * argument (Vitest, `node:test`) or as `this` (Mocha); the suites use it only
 * to mark a case skipped at run time.
 */
export type TestBody = () => Promise<void> | void;

/**
 * Marks the running case skipped, with `reason`, through what the runner
 * offers: the context's `skip(note)` (Vitest aborts the case there, `node:test`
 * records it) or Mocha's `this.skip()`. A runner with neither (Jest) reports the
 * case as passed; the suites then return without checking anything.
 */
function skipRunning(reason: string, self: unknown, context: unknown): void {
  for (const candidate of [context, self]) {
    const skip = (candidate as { skip?: unknown } | null | undefined)?.skip;
    if (typeof skip === 'function') {
      (skip as (note: string) => void).call(candidate, reason);
      return;
    }
  }
}

/**
 * Registers a case that needs an optional capability of the adapter, known
 * only once `create()` ran: `missing()` names what is missing (or `undefined`
 * when the adapter has it), and a case without it shows as skipped with that
 * reason, never as passed.
 *
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { optionalCase } from './conformance.js';
 * optionalCase(it, 'renews its lease', () => 'the adapter has no acquire (capabilities.locks: false)', () => {});
 * ```
 */
export function optionalCase(
  it: TestApi['it'],
  title: string,
  missing: () => string | undefined,
  body: TestBody,
): void {
  // A rest parameter keeps the function's length 0: Mocha reads a declared one as a `done` callback.
  it(title, async function (this: unknown, ...args: unknown[]) {
    const reason = missing();
    if (reason === undefined) return body();
    skipRunning(`skipped: ${reason}`, this, args[0]);
  });
}

/**
 * The test functions of your runner. Vitest, Jest, Mocha and `node:test` all
 * have these four under these names; pass them in (or the globals).
 * `it.skip`, when present, reports the cases a target opts out of as skipped.
 */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it: ((name: string, body: TestBody) => unknown) & { skip?: (name: string, body: TestBody) => unknown };
  beforeEach(body: TestBody): unknown;
  afterEach(body: TestBody): unknown;
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

/**
 * A record with the given seq (and epoch), its bytes derived from both so
 * mix-ups show; with `size`, that many pattern bytes.
 *
 * @example
 * ```ts
 * import { conformanceRecord } from 'xstate-checkpoint/testing';
 * const r = conformanceRecord(2, 1); // seq 2, epoch 1
 * ```
 */
export function conformanceRecord(seq: number, epoch = 0, size?: number): CheckpointRecord {
  let bytes: Uint8Array;
  if (size === undefined) bytes = bytesOf(`generation ${seq} epoch ${epoch}`);
  else {
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seq) & 0xff;
  }
  return { seq, epoch, createdAt: 1_700_000_000_000 + seq, byteLength: bytes.length, bytes };
}

/**
 * The adapter contract ({@link CheckpointAdapter}) as test cases, for any test
 * runner: registers one `describe` block of cases with the functions you
 * pass. Every adapter of the kit runs it; run it on yours (S3, SQLite,
 * MongoDB...) to know it keeps the contract: exact bytes, newest-first
 * listings, compare-and-set on `seq`, fencing on `epoch`, quarantine that
 * keeps bytes, any-character keys, typed errors, `closed` after `dispose`,
 * and, with `createPeer`, two writers on one store and locks.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, it } from 'vitest'; // or node:test, or Jest's globals
 * import { adapterConformance } from 'xstate-checkpoint/testing';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * adapterConformance('memory', { create: () => memoryAdapter() }, { describe, it, beforeEach, afterEach });
 * ```
 */
export function adapterConformance(name: string, target: ConformanceTarget, api: TestApi): void {
  const { describe, it, beforeEach, afterEach } = api;
  const record = conformanceRecord;
  const skip = (title: string, body: TestBody) => (api.it.skip ? api.it.skip(title, body) : undefined);

  describe(`adapter conformance: ${name}`, () => {
    let adapter: CheckpointAdapter;
    const extra: CheckpointAdapter[] = [];

    beforeEach(async () => {
      adapter = await target.create();
    });
    afterEach(async () => {
      for (const a of extra.splice(0)) await a.dispose().catch(() => undefined);
      await adapter.dispose().catch(() => undefined);
      await target.cleanup?.();
    });
    const peer = async () => {
      const p = await target.createPeer!();
      extra.push(p);
      return p;
    };
    const seqs = async (key: string) => (await adapter.list(key)).map((g) => g.seq);

    it('declares a name and capabilities', () => {
      check(typeof adapter.name === 'string' && adapter.name.length > 0, 'name must be a non-empty string');
      for (const flag of ['durable', 'crossProcess', 'locks'] as const) {
        check(typeof adapter.capabilities[flag] === 'boolean', `capabilities.${flag} must be a boolean`);
      }
      equal(adapter.capabilities.locks, typeof adapter.acquire === 'function', 'capabilities.locks matches acquire');
    });

    it('starts empty', async () => {
      equal(await adapter.list('nothing'), [], 'list of an unknown key');
      equal(await adapter.read('nothing', 1), undefined, 'read of an unknown key');
      equal(await adapter.keys(), [], 'keys of an empty store');
      equal(await adapter.listQuarantine(), [], 'quarantine of an empty store');
    });

    it('round-trips bytes and metadata exactly', async () => {
      const r = record(1);
      await adapter.write('k', r);
      sameBytes(await adapter.read('k', 1), r.bytes);
      equal(
        await adapter.list('k'),
        [{ seq: 1, epoch: 0, byteLength: r.bytes.length, createdAt: r.createdAt }],
        'list after one write',
      );
    });

    it('returns bytes the caller cannot use to change what is stored', async () => {
      await adapter.write('k', record(1));
      const first = await adapter.read('k', 1);
      first!.fill(0);
      sameBytes(await adapter.read('k', 1), record(1).bytes, 'bytes after the caller zeroed its copy');
    });

    it('lists generations newest first and reads each', async () => {
      for (const seq of [1, 2, 3, 4]) await adapter.write('k', record(seq));
      equal(await seqs('k'), [4, 3, 2, 1], 'list order');
      for (const seq of [1, 2, 3, 4]) sameBytes(await adapter.read('k', seq), record(seq).bytes, `generation ${seq}`);
    });

    it('keeps keys apart', async () => {
      await adapter.write('a', record(1));
      await adapter.write('b', record(1, 0, 10));
      sameBytes(await adapter.read('a', 1), record(1).bytes, 'key a');
      sameBytes(await adapter.read('b', 1), record(1, 0, 10).bytes, 'key b');
      equal((await adapter.keys()).sort(), ['a', 'b'], 'keys');
    });

    it('refuses a stale or repeated sequence with conflict and keeps the stored generation', async () => {
      await adapter.write('k', record(1));
      await adapter.write('k', record(2));
      equal(await codeOf(adapter.write('k', record(2, 0, 5))), 'conflict', 'repeated seq 2');
      equal(await codeOf(adapter.write('k', record(1, 0, 5))), 'conflict', 'stale seq 1');
      sameBytes(await adapter.read('k', 2), record(2).bytes, 'generation 2 after the refused writes');
      equal(await seqs('k'), [2, 1], 'list');
    });

    it('lets exactly one of many concurrent writers of one sequence win', async () => {
      await adapter.write('k', record(1));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => codeOf(adapter.write('k', record(2, 0, 20 + i)))),
      );
      equal(results.filter((r) => r === 'ok').length, 1, 'winners');
      equal(results.filter((r) => r === 'conflict').length, 7, 'writers refused with conflict');
      const winner = results.indexOf('ok');
      sameBytes(await adapter.read('k', 2), record(2, 0, 20 + winner).bytes, "the winner's bytes");
    });

    it('writes many keys concurrently', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
      await Promise.all(keys.map((k) => adapter.write(k, record(1))));
      equal((await adapter.keys()).sort(), [...keys].sort(), 'keys');
    });

    it('fences a writer whose epoch is older than the newest one', async () => {
      await adapter.write('k', record(1, 2));
      equal(await codeOf(adapter.write('k', record(2, 1))), 'fenced', 'epoch 1 after epoch 2');
      await adapter.write('k', record(2, 2));
      await adapter.write('k', record(3, 5));
      equal(await codeOf(adapter.write('k', record(4, 2))), 'fenced', 'epoch 2 after epoch 5');
      equal(await seqs('k'), [3, 2, 1], 'list');
    });

    it('removes generations, ignoring missing ones', async () => {
      for (const seq of [1, 2, 3]) await adapter.write('k', record(seq));
      await adapter.remove('k', 1);
      await adapter.remove('k', 42);
      equal(await seqs('k'), [3, 2], 'list after remove');
      equal(await adapter.read('k', 1), undefined, 'read of a removed generation');
    });

    it('does not reuse a removed sequence number below the newest', async () => {
      for (const seq of [1, 2]) await adapter.write('k', record(seq));
      await adapter.remove('k', 1);
      equal(await codeOf(adapter.write('k', record(1))), 'conflict', 'rewrite of removed seq 1');
    });

    it('quarantines a generation: out of the list, bytes kept until deleted explicitly', async () => {
      for (const seq of [1, 2]) await adapter.write('k', record(seq));
      const q = await adapter.quarantine('k', 2, 'corrupt: test');
      matches(q, { key: 'k', seq: 2, reason: 'corrupt: test' }, 'quarantine()');
      equal(await seqs('k'), [1], 'list after quarantine');
      equal(await adapter.read('k', 2), undefined, 'read of a quarantined generation');
      const listed = await adapter.listQuarantine('k');
      equal(listed.length, 1, 'listQuarantine(key) length');
      matches(listed[0], { id: q.id, key: 'k', seq: 2, reason: 'corrupt: test' }, 'listQuarantine(key)[0]');
      equal((await adapter.listQuarantine()).length, 1, 'listQuarantine() length');
      equal(await adapter.listQuarantine('other'), [], 'listQuarantine of another key');
      sameBytes(await adapter.readQuarantined('k', q.id), record(2).bytes, 'quarantined bytes');
      // The quarantined sequence is never reused, so a new write cannot shadow it.
      equal(await codeOf(adapter.write('k', record(2, 0, 3))), 'conflict', 'rewrite of the quarantined seq');
      await adapter.write('k', record(3));
      await adapter.deleteQuarantined('k', q.id);
      equal(await adapter.listQuarantine('k'), [], 'listQuarantine after delete');
      equal(await adapter.readQuarantined('k', q.id), undefined, 'readQuarantined after delete');
    });

    const noReadNewest = () => (adapter.readNewest ? undefined : 'the adapter has no readNewest (optional)');
    const noLocks = () => (adapter.acquire ? undefined : 'the adapter has no acquire (capabilities.locks: false)');

    optionalCase(
      it,
      'readNewest (optional) agrees with list, read, listQuarantine and fencing',
      noReadNewest,
      async () => {
        const readNewest = adapter.readNewest!.bind(adapter);
        const empty = await readNewest('k');
        equal(
          [empty.seqs, empty.quarantinedSeq, empty.epoch, empty.newest],
          [[], 0, 0, undefined],
          'readNewest of a new key',
        );
        await adapter.write('k', record(1, 0));
        for (const seq of [2, 3]) await adapter.write('k', record(seq, 1));
        await adapter.quarantine('k', 3, 'corrupt: test');
        const found = await readNewest('k');
        equal(found.seqs, await seqs('k'), 'readNewest().seqs against list()');
        equal(found.quarantinedSeq, 3, 'readNewest().quarantinedSeq');
        equal(found.epoch, 1, 'readNewest().epoch (the newest generation written with epoch 1)');
        equal(found.newest?.seq, 2, 'readNewest().newest.seq');
        sameBytes(found.newest?.bytes, (await adapter.read('k', 2))!, 'readNewest().newest.bytes against read()');
        if (adapter.acquire) {
          // A writer without a lease takes this epoch: a lock holder's newer epoch must still fence it.
          const lease = await adapter.acquire('k');
          equal((await readNewest('k')).epoch, 1, 'readNewest().epoch after acquire (generations only)');
          equal(await codeOf(adapter.write('k', record(4, 1))), 'fenced', 'write with that epoch after acquire');
          await lease.release();
        }
      },
    );

    it('reports quarantine of a missing generation as not-found', async () => {
      equal(await codeOf(adapter.quarantine('k', 9, 'x')), 'not-found', 'quarantine of a missing generation');
    });

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
      for (const [i, k] of keys.entries()) await adapter.write(k, record(1, 0, i + 1));
      equal((await adapter.keys()).sort(), [...keys].sort(), 'keys');
      for (const [i, k] of keys.entries()) sameBytes(await adapter.read(k, 1), record(1, 0, i + 1).bytes, `key ${k}`);
    });

    it('refuses invalid keys with invalid-key', async () => {
      equal(await codeOf(adapter.write('', record(1))), 'invalid-key', 'write with an empty key');
      equal(await codeOf(adapter.write('a\0b', record(1))), 'invalid-key', 'write with a NUL in the key');
      equal(await codeOf(adapter.list('')), 'invalid-key', 'list with an empty key');
    });

    const large = async () => {
      const big = record(1, 0, 5 * 1024 * 1024 + 3);
      await adapter.write('big', big);
      sameBytes(await adapter.read('big', 1), big.bytes, 'large record');
      equal((await adapter.list('big'))[0]?.byteLength, big.bytes.length, 'listed byteLength');
    };
    if (target.skipLarge === true) skip('stores a large record', large);
    else it('stores a large record', large);

    it('stores an empty record', async () => {
      await adapter.write('k', record(1, 0, 0));
      sameBytes(await adapter.read('k', 1), new Uint8Array(0), 'empty record');
    });

    it('puts key and adapter name on its errors', async () => {
      await adapter.write('k', record(1));
      let caught: unknown;
      try {
        await adapter.write('k', record(1));
      } catch (error) {
        caught = error;
      }
      check(isCheckpointError(caught), 'a repeated write must fail with a CheckpointError');
      matches(caught, { key: 'k', adapter: adapter.name }, 'the error');
    });

    it('refuses every call after dispose with closed', async () => {
      await adapter.write('k', record(1));
      await adapter.dispose();
      equal(await codeOf(adapter.read('k', 1)), 'closed', 'read after dispose');
      equal(await codeOf(adapter.list('k')), 'closed', 'list after dispose');
      equal(await codeOf(adapter.write('k', record(2))), 'closed', 'write after dispose');
      await adapter.dispose();
    });

    if (target.createPeer !== undefined) {
      describe('with a second writer on the same store', () => {
        it('sees the other writer and refuses its sequence', async () => {
          const other = await peer();
          await adapter.write('k', record(1));
          equal(
            (await other.list('k')).map((g) => g.seq),
            [1],
            "the peer's list",
          );
          equal(await codeOf(other.write('k', record(1, 0, 9))), 'conflict', 'the peer repeating seq 1');
          await other.write('k', record(2));
          equal(await codeOf(adapter.write('k', record(2, 0, 9))), 'conflict', "repeating the peer's seq 2");
          sameBytes(await adapter.read('k', 2), record(2).bytes, "the peer's generation 2");
        });

        it('lets one of two racing writers win each sequence, never both', async () => {
          const other = await peer();
          for (let seq = 1; seq <= 10; seq++) {
            const r = await Promise.all([
              codeOf(adapter.write('k', record(seq, 0, 10))),
              codeOf(other.write('k', record(seq, 0, 11))),
            ]);
            equal(r.filter((c) => c === 'ok').length, 1, `winners of seq ${seq}`);
          }
          equal((await adapter.list('k')).length, 10, 'generations');
        });
      });

      describe('locks', () => {
        optionalCase(it, 'gives the lock to one holder, bumps the epoch and fences the old one', noLocks, async () => {
          const other = await peer();
          const lease = await adapter.acquire!('k');
          await adapter.write('k', record(1, lease.epoch));
          equal(await codeOf(other.acquire!('k')), 'lock-held', 'acquire while held');
          await lease.release();
          const next = await other.acquire!('k');
          check(next.epoch > lease.epoch, `the next epoch (${next.epoch}) must exceed ${lease.epoch}`);
          equal(await codeOf(adapter.write('k', record(2, lease.epoch))), 'fenced', 'write with the old epoch');
          await other.write('k', record(2, next.epoch));
          await next.release();
        });
      });
    }

    optionalCase(it, 'acquire bumps the epoch so older writers are fenced', noLocks, async () => {
      await adapter.write('k', record(1, 0));
      const lease = await adapter.acquire!('k');
      check(lease.epoch > 0, `the lease epoch (${lease.epoch}) must be above 0`);
      equal(await codeOf(adapter.write('k', record(2, 0))), 'fenced', 'write with epoch 0 after acquire');
      await adapter.write('k', record(2, lease.epoch));
      await lease.release();
      await lease.release();
    });
  });
}
