import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointAdapter, CheckpointRecord } from 'xstate-checkpoint';
import { isCheckpointError } from 'xstate-checkpoint';

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
  /** Skip the multi-megabyte record case (slow stores). */
  skipLarge?: boolean;
}

/** Names of every adapter that ran the suite in this process (checked by a meta-test). */
export const conformanceRuns = new Set<string>();

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** A record with the given seq (and epoch), its bytes derived from both so mix-ups show. */
export function record(seq: number, epoch = 0, size?: number): CheckpointRecord {
  let bytes: Uint8Array;
  if (size === undefined) bytes = bytesOf(`generation ${seq} epoch ${epoch}`);
  else {
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seq) & 0xff;
  }
  return { seq, epoch, createdAt: 1_700_000_000_000 + seq, byteLength: bytes.length, bytes };
}

/** Byte equality without a deep-equal walk (fast on megabytes, short message on failure). */
export function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual, 'bytes missing').toBeInstanceOf(Uint8Array);
  expect(actual!.length, 'byte length').toBe(expected.length);
  let firstDiff = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual![i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  expect(firstDiff, 'first differing byte').toBe(-1);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (!isCheckpointError(error)) throw error;
    return error.code;
  }
  return 'ok';
}

/**
 * The adapter contract as tests. Every adapter runs this, in Node and, for
 * browser adapters, in Chromium.
 *
 * @example
 * ```ts
 * import { runAdapterConformance } from './suite.js';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * runAdapterConformance('memory', { create: () => memoryAdapter() });
 * ```
 */
export function runAdapterConformance(name: string, target: ConformanceTarget): void {
  conformanceRuns.add(name);
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

    it('declares a name and capabilities', () => {
      expect(typeof adapter.name).toBe('string');
      expect(adapter.name.length).toBeGreaterThan(0);
      expect(typeof adapter.capabilities.durable).toBe('boolean');
      expect(typeof adapter.capabilities.crossProcess).toBe('boolean');
      expect(adapter.capabilities.locks).toBe(typeof adapter.acquire === 'function');
    });

    it('starts empty', async () => {
      expect(await adapter.list('nothing')).toEqual([]);
      expect(await adapter.read('nothing', 1)).toBeUndefined();
      expect(await adapter.keys()).toEqual([]);
      expect(await adapter.listQuarantine()).toEqual([]);
    });

    it('round-trips bytes and metadata exactly', async () => {
      const r = record(1);
      await adapter.write('k', r);
      expectBytes(await adapter.read('k', 1), r.bytes);
      expect(await adapter.list('k')).toEqual([
        { seq: 1, epoch: 0, byteLength: r.bytes.length, createdAt: r.createdAt },
      ]);
    });

    it('returns bytes the caller cannot use to change what is stored', async () => {
      await adapter.write('k', record(1));
      const first = await adapter.read('k', 1);
      first!.fill(0);
      expectBytes(await adapter.read('k', 1), record(1).bytes);
    });

    it('lists generations newest first and reads each', async () => {
      for (const seq of [1, 2, 3, 4]) await adapter.write('k', record(seq));
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([4, 3, 2, 1]);
      for (const seq of [1, 2, 3, 4]) expectBytes(await adapter.read('k', seq), record(seq).bytes);
    });

    it('keeps keys apart', async () => {
      await adapter.write('a', record(1));
      await adapter.write('b', record(1, 0, 10));
      expectBytes(await adapter.read('a', 1), record(1).bytes);
      expectBytes(await adapter.read('b', 1), record(1, 0, 10).bytes);
      expect((await adapter.keys()).sort()).toEqual(['a', 'b']);
    });

    it('refuses a stale or repeated sequence with conflict and keeps the stored generation', async () => {
      await adapter.write('k', record(1));
      await adapter.write('k', record(2));
      expect(await codeOf(adapter.write('k', record(2, 0, 5)))).toBe('conflict');
      expect(await codeOf(adapter.write('k', record(1, 0, 5)))).toBe('conflict');
      expectBytes(await adapter.read('k', 2), record(2).bytes);
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([2, 1]);
    });

    it('lets exactly one of many concurrent writers of one sequence win', async () => {
      await adapter.write('k', record(1));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => codeOf(adapter.write('k', record(2, 0, 20 + i)))),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'conflict')).toHaveLength(7);
      const winner = results.indexOf('ok');
      expectBytes(await adapter.read('k', 2), record(2, 0, 20 + winner).bytes);
    });

    it('writes many keys concurrently', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
      await Promise.all(keys.map((k) => adapter.write(k, record(1))));
      expect((await adapter.keys()).sort()).toEqual([...keys].sort());
    });

    it('fences a writer whose epoch is older than the newest one', async () => {
      await adapter.write('k', record(1, 2));
      expect(await codeOf(adapter.write('k', record(2, 1)))).toBe('fenced');
      await adapter.write('k', record(2, 2));
      await adapter.write('k', record(3, 5));
      expect(await codeOf(adapter.write('k', record(4, 2)))).toBe('fenced');
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([3, 2, 1]);
    });

    it('removes generations, ignoring missing ones', async () => {
      for (const seq of [1, 2, 3]) await adapter.write('k', record(seq));
      await adapter.remove('k', 1);
      await adapter.remove('k', 42);
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([3, 2]);
      expect(await adapter.read('k', 1)).toBeUndefined();
    });

    it('does not reuse a removed sequence number below the newest', async () => {
      for (const seq of [1, 2]) await adapter.write('k', record(seq));
      await adapter.remove('k', 1);
      expect(await codeOf(adapter.write('k', record(1)))).toBe('conflict');
    });

    it('quarantines a generation: out of the list, bytes kept until deleted explicitly', async () => {
      for (const seq of [1, 2]) await adapter.write('k', record(seq));
      const q = await adapter.quarantine('k', 2, 'corrupt: test');
      expect(q).toMatchObject({ key: 'k', seq: 2, reason: 'corrupt: test' });
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
      expect(await adapter.read('k', 2)).toBeUndefined();
      const listed = await adapter.listQuarantine('k');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: q.id, key: 'k', seq: 2, reason: 'corrupt: test' });
      expect(await adapter.listQuarantine()).toHaveLength(1);
      expect(await adapter.listQuarantine('other')).toEqual([]);
      expectBytes(await adapter.readQuarantined('k', q.id), record(2).bytes);
      // The quarantined sequence is never reused, so a new write cannot shadow it.
      expect(await codeOf(adapter.write('k', record(2, 0, 3)))).toBe('conflict');
      await adapter.write('k', record(3));
      await adapter.deleteQuarantined('k', q.id);
      expect(await adapter.listQuarantine('k')).toEqual([]);
      expect(await adapter.readQuarantined('k', q.id)).toBeUndefined();
    });

    it('reports quarantine of a missing generation as not-found', async () => {
      expect(await codeOf(adapter.quarantine('k', 9, 'x'))).toBe('not-found');
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
      expect((await adapter.keys()).sort()).toEqual([...keys].sort());
      for (const [i, k] of keys.entries()) expectBytes(await adapter.read(k, 1), record(1, 0, i + 1).bytes);
    });

    it('refuses invalid keys with invalid-key', async () => {
      expect(await codeOf(adapter.write('', record(1)))).toBe('invalid-key');
      expect(await codeOf(adapter.write('a\0b', record(1)))).toBe('invalid-key');
      expect(await codeOf(adapter.list(''))).toBe('invalid-key');
    });

    it.skipIf(target.skipLarge === true)('stores a large record', async () => {
      const big = record(1, 0, 5 * 1024 * 1024 + 3);
      await adapter.write('big', big);
      expectBytes(await adapter.read('big', 1), big.bytes);
      expect((await adapter.list('big'))[0]?.byteLength).toBe(big.bytes.length);
    });

    it('stores an empty record', async () => {
      await adapter.write('k', record(1, 0, 0));
      expectBytes(await adapter.read('k', 1), new Uint8Array(0));
    });

    it('puts key and adapter name on its errors', async () => {
      await adapter.write('k', record(1));
      try {
        await adapter.write('k', record(1));
        expect.unreachable();
      } catch (error) {
        expect(isCheckpointError(error)).toBe(true);
        if (isCheckpointError(error)) {
          expect(error.key).toBe('k');
          expect(error.adapter).toBe(adapter.name);
        }
      }
    });

    it('refuses every call after dispose with closed', async () => {
      await adapter.write('k', record(1));
      await adapter.dispose();
      expect(await codeOf(adapter.read('k', 1))).toBe('closed');
      expect(await codeOf(adapter.list('k'))).toBe('closed');
      expect(await codeOf(adapter.write('k', record(2)))).toBe('closed');
      await adapter.dispose();
    });

    describe.runIf(target.createPeer !== undefined)('with a second writer on the same store', () => {
      it('sees the other writer and refuses its sequence', async () => {
        const peer = await target.createPeer!();
        extra.push(peer);
        await adapter.write('k', record(1));
        expect((await peer.list('k')).map((g) => g.seq)).toEqual([1]);
        expect(await codeOf(peer.write('k', record(1, 0, 9)))).toBe('conflict');
        await peer.write('k', record(2));
        expect(await codeOf(adapter.write('k', record(2, 0, 9)))).toBe('conflict');
        expectBytes(await adapter.read('k', 2), record(2).bytes);
      });

      it('lets one of two racing writers win each sequence, never both', async () => {
        const peer = await target.createPeer!();
        extra.push(peer);
        let wins = 0;
        for (let seq = 1; seq <= 10; seq++) {
          const r = await Promise.all([
            codeOf(adapter.write('k', record(seq, 0, 10))),
            codeOf(peer.write('k', record(seq, 0, 11))),
          ]);
          expect(r.filter((c) => c === 'ok')).toHaveLength(1);
          wins++;
        }
        expect(wins).toBe(10);
        expect(await adapter.list('k')).toHaveLength(10);
      });
    });

    describe.runIf(target.createPeer !== undefined)('locks', () => {
      it('gives the lock to one holder, bumps the epoch and fences the old one', async () => {
        if (!adapter.acquire) return;
        const peer = await target.createPeer!();
        extra.push(peer);
        const lease = await adapter.acquire('k');
        await adapter.write('k', record(1, lease.epoch));
        expect(await codeOf(peer.acquire!('k'))).toBe('lock-held');
        await lease.release();
        const next = await peer.acquire!('k');
        expect(next.epoch).toBeGreaterThan(lease.epoch);
        expect(await codeOf(adapter.write('k', record(2, lease.epoch)))).toBe('fenced');
        await peer.write('k', record(2, next.epoch));
        await next.release();
      });
    });

    it('acquire bumps the epoch so older writers are fenced', async () => {
      if (!adapter.acquire) return;
      await adapter.write('k', record(1, 0));
      const lease = await adapter.acquire('k');
      expect(lease.epoch).toBeGreaterThan(0);
      expect(await codeOf(adapter.write('k', record(2, 0)))).toBe('fenced');
      await adapter.write('k', record(2, lease.epoch));
      await lease.release();
      await lease.release();
    });
  });
}
