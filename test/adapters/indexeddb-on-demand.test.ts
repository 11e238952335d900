import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { indexedDbAdapter } from '../../adapters/indexeddb/index.js';
import { isCheckpointError, type CheckpointError } from '../../src/errors.js';

// The IndexedDB adapter loads its seldom-made calls (upkeep.ts) and acquire (lock.ts) on first
// use. When one cannot load (offline, or a deploy replaced the app's files), the call rejects
// with io naming the adapter, nothing is changed, and the next call tries again.

const { down, offline } = vi.hoisted(() => ({
  down: { upkeep: true, lock: true },
  offline: () => new TypeError('Failed to fetch dynamically imported module'),
}));
vi.mock('../../adapters/indexeddb/upkeep.js', async (actual) => {
  if (down.upkeep) throw offline();
  return actual();
});
vi.mock('../../adapters/indexeddb/lock.js', async (actual) => {
  if (down.lock) throw offline();
  return actual();
});

async function errorOf(promise: Promise<unknown>): Promise<CheckpointError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isCheckpointError(error)) throw new Error(`expected a CheckpointError, got ${String(error)}`);
  return error;
}

const bytes = (n: number) => new Uint8Array([n, n, n, n, n]);
const record = (seq: number) => ({ seq, epoch: 0, createdAt: seq, byteLength: 5, bytes: bytes(seq) });

/** Puts `value` as the index record of `key`, behind the adapter's back. */
async function damageIndex(factory: IDBFactory, key: string, value: unknown): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = factory.open('xstate-checkpoint');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new Error(String(r.error)));
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('checkpoints', 'readwrite');
    tx.objectStore('checkpoints').put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(new Error(String(tx.error)));
  });
  db.close();
}

describe('indexedDbAdapter: parts that cannot load', () => {
  it('list, read, readNewest and write need neither part; the others reject with io and change nothing', async () => {
    const factory = new IDBFactory();
    const warnings: string[] = [];
    const adapter = indexedDbAdapter({
      indexedDB: factory,
      locks: false,
      broadcastChannel: false,
      onWarning: (m) => warnings.push(m),
    });
    for (const seq of [1, 2, 3]) await adapter.write('k', record(seq));
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([3, 2, 1]);
    expect(await adapter.read('k', 2)).toEqual(bytes(2));
    const newest = await adapter.readNewest!('k');
    expect([newest.seqs, newest.quarantinedSeq, newest.newest?.seq]).toEqual([[3, 2, 1], 0, 3]);

    const calls = [
      () => adapter.remove('k', 1),
      () => adapter.quarantine('k', 3, 'test'),
      () => adapter.keys(),
      () => adapter.acquire!('k'),
    ];
    for (const call of calls) {
      const error = await errorOf(call());
      expect([error.code, error.adapter, error.detail]).toEqual([
        'io',
        'indexeddb',
        'could not load a part of the adapter',
      ]);
    }
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([3, 2, 1]);

    // A damaged index needs the rebuild: the call rejects with io and the stored generations stay.
    await damageIndex(factory, 'k', { gens: 5 });
    expect((await errorOf(adapter.list('k'))).code).toBe('io');

    down.upkeep = false;
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([3, 2, 1]);
    expect(warnings).toHaveLength(1);
    await adapter.remove('k', 1);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([3, 2]);
    expect((await adapter.quarantine('k', 3, 'test')).id).toBe('q3');
    expect((await adapter.readNewest!('k')).quarantinedSeq).toBe(3);

    down.lock = false;
    const lease = await adapter.acquire!('k');
    expect(lease.epoch).toBe(1);
    await lease.release();
    await adapter.dispose();
  });
});
