import { IDBFactory, forceCloseDatabase } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import type { IndexedDbAdapterOptions, LocksLike } from 'xstate-checkpoint/adapters/indexeddb';
import { expectBytes, record, runAdapterConformance } from '../conformance/suite.js';
import { errorOf } from '../helpers/errors.js';
import { driveClock, manualClock } from '../helpers/manual-clock.js';
import { isCheckpointError } from 'xstate-checkpoint';

/** Web Locks for one process (Node has no navigator.locks): exclusive, ifAvailable, signal. */
function processLocks(): LocksLike {
  const held = new Map<string, Promise<void>>();
  return {
    async request(name, options, callback) {
      if (options.ifAvailable && held.has(name)) return callback(null);
      while (held.has(name)) {
        const abort = new Promise((_, reject) =>
          options.signal?.addEventListener('abort', () => reject(options.signal!.reason as Error)),
        );
        await Promise.race([held.get(name), abort]);
      }
      let done = () => {};
      held.set(name, new Promise<void>((resolve) => (done = resolve)));
      try {
        return await callback({ name });
      } finally {
        held.delete(name);
        done();
      }
    },
  };
}

/** What the browser does when it loses the backing store (or the user clears site data). */
const dropConnection = (db: IDBDatabase) => forceCloseDatabase(db as never);

/** Wraps a factory to see every connection the adapter opens (and to break them). */
function spiedFactory(factory = new IDBFactory()) {
  const connections: IDBDatabase[] = [];
  const spy = {
    open(name: string, version?: number) {
      const request = version === undefined ? factory.open(name) : factory.open(name, version);
      request.addEventListener('success', () => connections.push(request.result));
      return request;
    },
  } as unknown as IDBFactory;
  return { factory, spy, connections };
}

let factory = new IDBFactory();
let locks = processLocks();
const make = (extra: Partial<IndexedDbAdapterOptions> = {}) =>
  indexedDbAdapter({ dbName: 'conformance', indexedDB: factory, locks, broadcastChannel: false, ...extra });

runAdapterConformance('indexeddb', [indexedDbAdapter], {
  create: () => {
    factory = new IDBFactory();
    locks = processLocks();
    return make();
  },
  createPeer: () => make(),
});

describe('indexedDbAdapter connection handling', () => {
  it('opens lazily: creating the adapter touches no database', async () => {
    const { spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({ indexedDB: spy, locks: false, broadcastChannel: false });
    expect(connections).toHaveLength(0);
    await adapter.list('k');
    expect(connections).toHaveLength(1);
    await adapter.dispose();
  });

  it('reopens once when the browser closed the connection, and keeps the data', async () => {
    const { spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({ indexedDB: spy, locks: false, broadcastChannel: false });
    await adapter.write('k', record(1));
    dropConnection(connections[0]!);
    await adapter.write('k', record(2));
    expect(connections).toHaveLength(2);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([2, 1]);
    await adapter.dispose();
  });

  it('redoes a write whose transaction died with the connection', async () => {
    const { spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({ indexedDB: spy, locks: false, broadcastChannel: false });
    await adapter.write('k', record(1));
    const db = connections[0]!;
    const original = db.transaction.bind(db);
    db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
      const tx = original(...args);
      // The connection drops while the transaction is in flight.
      queueMicrotask(() => dropConnection(db));
      return tx;
    }) as IDBDatabase['transaction'];
    await adapter.write('k', record(2));
    expectBytes(await adapter.read('k', 2), record(2).bytes);
    expect(connections).toHaveLength(2);
    await adapter.dispose();
  });

  it.each([
    ['UnknownError', 'Internal error.'],
    ['UnknownError', 'Connection to Indexed Database server lost. Refresh the page to try again'],
    ['InvalidStateError', 'The database connection is closing.'],
  ])('retries once after %s (%s)', async (errorName, message) => {
    const { spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({ indexedDB: spy, locks: false, broadcastChannel: false });
    await adapter.write('k', record(1));
    connections[0]!.transaction = () => {
      throw new DOMException(message, errorName);
    };
    await adapter.write('k', record(2));
    expect(connections).toHaveLength(2);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([2, 1]);
    await adapter.dispose();
  });

  it('gives up with io after the retry also fails', async () => {
    const { spy } = spiedFactory();
    const broken = {
      open: (name: string) => {
        const request = spy.open(name);
        request.addEventListener('success', () => {
          request.result.transaction = () => {
            throw new DOMException('Internal error.', 'UnknownError');
          };
        });
        return request;
      },
    } as unknown as IDBFactory;
    const adapter = indexedDbAdapter({ indexedDB: broken, locks: false, broadcastChannel: false });
    const error = await errorOf(adapter.write('k', record(1)));
    expect(error.code).toBe('io');
    expect(error.key).toBe('k');
    expect(error.adapter).toBe('indexeddb');
    await adapter.dispose();
  });

  it('closes on versionchange so another tab can upgrade, then reopens at the new version', async () => {
    const { factory: raw, spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({ dbName: 'app', indexedDB: spy, locks: false, broadcastChannel: false });
    await adapter.write('k', record(1));
    const version = connections[0]!.version;
    let blocked = false;
    const upgrade = raw.open('app', version + 1);
    upgrade.onblocked = () => (blocked = true);
    upgrade.onupgradeneeded = () => upgrade.result.createObjectStore('other');
    const upgraded = await new Promise<IDBDatabase>((resolve, reject) => {
      upgrade.onsuccess = () => resolve(upgrade.result);
      upgrade.onerror = () => reject(upgrade.error!);
    });
    expect(blocked).toBe(false);
    upgraded.close();
    expectBytes(await adapter.read('k', 1), record(1).bytes);
    expect(connections.at(-1)!.version).toBe(version + 1);
    await adapter.dispose();
  });

  it('adds its object store to an existing database that lacks it', async () => {
    const raw = new IDBFactory();
    const setup = raw.open('shared', 1);
    setup.onupgradeneeded = () => setup.result.createObjectStore('theirs').put('kept', 'x');
    await new Promise<void>((resolve) => (setup.onsuccess = () => (setup.result.close(), resolve())));
    const adapter = indexedDbAdapter({ dbName: 'shared', indexedDB: raw, locks: false, broadcastChannel: false });
    await adapter.write('k', record(1));
    expectBytes(await adapter.read('k', 1), record(1).bytes);
    await adapter.dispose();
    const check = raw.open('shared');
    const db = await new Promise<IDBDatabase>((resolve) => (check.onsuccess = () => resolve(check.result)));
    expect([...db.objectStoreNames].sort()).toEqual(['checkpoints', 'theirs']);
    const kept = db.transaction('theirs').objectStore('theirs').get('x');
    expect(await new Promise((resolve) => (kept.onsuccess = () => resolve(kept.result)))).toBe('kept');
    db.close();
  });

  it.each(['strict', 'relaxed', 'default'] as const)(
    'passes durability %s to write transactions',
    async (durability) => {
      const { spy, connections } = spiedFactory();
      const adapter = indexedDbAdapter({ indexedDB: spy, durability, locks: false, broadcastChannel: false });
      await adapter.list('k');
      const seen: IDBTransaction[] = [];
      const db = connections[0]!;
      const original = db.transaction.bind(db);
      db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
        const tx = original(...args);
        seen.push(tx);
        return tx;
      }) as IDBDatabase['transaction'];
      await adapter.write('k', record(1));
      expect(seen.map((tx) => [tx.mode, tx.durability])).toEqual([['readwrite', durability]]);
      expect(adapter.capabilities.durable).toBe(durability === 'strict');
      await adapter.dispose();
    },
  );

  it('a damaged index record is rebuilt from the stored generations, loudly; no write reuses a stored seq', async () => {
    const damaged: unknown[] = [
      { gens: 5 },
      'text',
      [1, 2],
      { top: 3, epoch: 0, gens: [{ seq: '3', epoch: 0, byteLength: 4, createdAt: 3 }], quarantine: [] },
      { top: 1, epoch: 0, gens: [{ seq: 3, epoch: 0, byteLength: 4, createdAt: 3 }], quarantine: [] },
      {
        top: 3,
        epoch: 0,
        gens: [],
        quarantine: [{ seq: 2, epoch: 0, byteLength: 4, createdAt: 2, id: 'q2', key: 'x' }],
      },
    ];
    for (const bad of damaged) {
      const factory = new IDBFactory();
      const warnings: string[] = [];
      const adapter = indexedDbAdapter({
        indexedDB: factory,
        locks: false,
        broadcastChannel: false,
        onWarning: (m) => warnings.push(m),
      });
      const bytes = (n: number) => new Uint8Array([n, n, n, n, n]);
      for (const seq of [1, 2, 3])
        await adapter.write('a', { seq, epoch: 0, createdAt: seq, byteLength: 5, bytes: bytes(seq) });
      await adapter.write('b', { seq: 9, epoch: 0, createdAt: 9, byteLength: 5, bytes: bytes(9) });
      // The index record of "a" replaced behind the adapter's back.
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = factory.open('xstate-checkpoint');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(new Error(String(r.error)));
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('checkpoints', 'readwrite');
        tx.objectStore('checkpoints').put(bad, 'a');
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(new Error(String(tx.error)));
      });
      db.close();
      const label = JSON.stringify(bad);
      expect(
        (await adapter.list('a')).map((g) => [g.seq, g.byteLength]),
        label,
      ).toEqual([
        [3, 5],
        [2, 5],
        [1, 5],
      ]);
      for (const seq of [1, 2, 3]) expectBytes(await adapter.read('a', seq), bytes(seq));
      // Said once, though every call until the next write rebuilds it.
      expect(warnings, label).toHaveLength(1);
      expect(warnings[0], label).toMatch(/index of "a" is damaged; rebuilt from its 3 stored generation/);
      expect((await adapter.keys()).sort()).toEqual(['a', 'b']);
      const refused = await errorOf(
        adapter.write('a', { seq: 2, epoch: 0, createdAt: 8, byteLength: 5, bytes: bytes(8) }),
      );
      expect(refused.code, label).toBe('conflict');
      await adapter.write('a', { seq: 4, epoch: 0, createdAt: 4, byteLength: 5, bytes: bytes(4) });
      const before = warnings.length;
      expect((await adapter.list('a')).map((g) => g.seq)).toEqual([4, 3, 2, 1]);
      expect(warnings.length, `${label}: whole again after the write`).toBe(before);
      expect((await adapter.list('b')).map((g) => g.seq)).toEqual([9]);
      await adapter.dispose();
    }
  });

  it('says how to fix a missing IndexedDB', async () => {
    const adapter = indexedDbAdapter({ locks: false, broadcastChannel: false });
    const error = await errorOf(adapter.list('k'));
    expect(error.code).toBe('invalid-option');
    expect(error.message).toContain('options.indexedDB');
  });

  it('stores the exact bytes of a view into a larger buffer, and an envelope round-trips', async () => {
    const adapter = indexedDbAdapter({ indexedDB: new IDBFactory(), locks: false, broadcastChannel: false });
    const envelope = encodeEnvelope(
      { machine: 'm', version: 1, seq: 1, epoch: 0, createdAt: 1, codec: 'xsc1' },
      new TextEncoder().encode('{"a":1}'),
    );
    const padded = new Uint8Array(envelope.length + 64);
    padded.set(envelope, 32);
    const view = padded.subarray(32, 32 + envelope.length);
    await adapter.write('k', { seq: 1, epoch: 0, createdAt: 1, byteLength: view.length, bytes: view });
    padded.fill(7);
    const stored = await adapter.read('k', 1);
    expectBytes(stored, envelope);
    expect(stored!.buffer.byteLength).toBe(envelope.length);
    expect(openEnvelope(stored!).header.seq).toBe(1);
    await adapter.dispose();
  });
});

describe('indexedDbAdapter quota', () => {
  it('turns QuotaExceededError into storage-full with the estimate, keeping the previous generation', async () => {
    const { spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({
      indexedDB: spy,
      locks: false,
      broadcastChannel: false,
      storage: { estimate: async () => ({ usage: 990, quota: 1000 }) },
    });
    await adapter.write('k', record(1));
    const db = connections[0]!;
    const original = db.transaction.bind(db);
    db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
      const tx = original(...args);
      const objectStore = tx.objectStore.bind(tx);
      tx.objectStore = (storeName: string) => {
        const store = objectStore(storeName);
        store.put = () => {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        };
        return store;
      };
      return tx;
    }) as IDBDatabase['transaction'];
    const error = await errorOf(adapter.write('k', record(2, 0, 4096)));
    expect(error.code).toBe('storage-full');
    expect(error.key).toBe('k');
    expect(error.seq).toBe(2);
    expect(error.data).toEqual({ usage: 990, quota: 1000 });
    expect((error.cause as DOMException).name).toBe('QuotaExceededError');
    expect(connections).toHaveLength(1);
    db.transaction = original;
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
    expectBytes(await adapter.read('k', 1), record(1).bytes);
    await adapter.write('k', record(2));
    await adapter.dispose();
  });
});

describe('indexedDbAdapter over quota', () => {
  /** Puts fail with QuotaExceededError while `state.full`; a committed delete frees space when `state.freeOnDelete`. */
  function overQuota(db: IDBDatabase, state: { full: boolean; freeOnDelete: boolean }) {
    const original = db.transaction.bind(db);
    db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
      const tx = original(...args);
      let deleted = false;
      tx.addEventListener('complete', () => {
        if (deleted && state.freeOnDelete) state.full = false;
      });
      const objectStore = tx.objectStore.bind(tx);
      tx.objectStore = (name: string) => {
        const store = objectStore(name);
        const put = store.put.bind(store);
        const del = store.delete.bind(store);
        store.put = (...a: Parameters<IDBObjectStore['put']>) => {
          if (state.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          return put(...a);
        };
        store.delete = (query: IDBValidKey | IDBKeyRange) => {
          deleted = true;
          return del(query);
        };
        return store;
      };
      return tx;
    }) as IDBDatabase['transaction'];
  }

  it('removes a generation when even a shrinking put is refused: bytes first, then the index', async () => {
    const { spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({ indexedDB: spy, locks: false, broadcastChannel: false, storage: false });
    for (const seq of [1, 2, 3]) await adapter.write('k', record(seq));
    const q = await adapter.quarantine('k', 2, 'corrupt: test');
    const state = { full: true, freeOnDelete: true };
    overQuota(connections[0]!, state);
    await adapter.remove('k', 1);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([3]);
    expect(await adapter.read('k', 1)).toBeUndefined();
    state.full = true;
    await adapter.deleteQuarantined('k', q.id);
    expect(await adapter.listQuarantine('k')).toEqual([]);
    expect(await adapter.readQuarantined('k', q.id)).toBeUndefined();
    expectBytes(await adapter.read('k', 3), record(3).bytes);
    await adapter.dispose();
  });

  it('when no room comes free, the bytes are gone and the listed generation reads as pruned', async () => {
    const { spy, connections } = spiedFactory();
    const adapter = indexedDbAdapter({ indexedDB: spy, locks: false, broadcastChannel: false, storage: false });
    for (const seq of [1, 2]) await adapter.write('k', record(seq));
    overQuota(connections[0]!, { full: true, freeOnDelete: false });
    expect((await errorOf(adapter.remove('k', 1))).code).toBe('storage-full');
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([2, 1]);
    expect(await adapter.read('k', 1)).toBeUndefined();
    expectBytes(await adapter.read('k', 2), record(2).bytes);
    await adapter.dispose();
  });
});

describe('indexedDbAdapter locks and tabs', () => {
  it('without Web Locks, acquire still bumps the epoch and fences the older holder', async () => {
    const shared = new IDBFactory();
    const a = indexedDbAdapter({ indexedDB: shared, locks: false, broadcastChannel: false });
    const b = indexedDbAdapter({ indexedDB: shared, locks: false, broadcastChannel: false });
    const first = await a.acquire!('k');
    await a.write('k', record(1, first.epoch));
    const second = await b.acquire!('k');
    expect(second.epoch).toBe(first.epoch + 1);
    expect((await errorOf(a.write('k', record(2, first.epoch)))).code).toBe('fenced');
    await b.write('k', record(2, second.epoch));
    expect((await b.list('k')).map((g) => [g.seq, g.epoch])).toEqual([
      [2, second.epoch],
      [1, first.epoch],
    ]);
    await a.dispose();
    await b.dispose();
  });

  it('waits up to waitMs for the holder, then fails with lock-held', async () => {
    const shared = new IDBFactory();
    const sharedLocks = processLocks();
    const a = indexedDbAdapter({ indexedDB: shared, locks: sharedLocks, broadcastChannel: false });
    const b = indexedDbAdapter({ indexedDB: shared, locks: sharedLocks, broadcastChannel: false });
    const lease = await a.acquire!('k');
    const error = await errorOf(b.acquire!('k', { waitMs: 30 }));
    expect(error.code).toBe('lock-held');
    setTimeout(() => void lease.release(), 20);
    const next = await b.acquire!('k', { waitMs: 2000 });
    expect(next.epoch).toBe(lease.epoch + 1);
    await a.dispose();
    await b.dispose();
  });

  it('gives the lock up on dispose', async () => {
    const shared = new IDBFactory();
    const sharedLocks = processLocks();
    const a = indexedDbAdapter({ indexedDB: shared, locks: sharedLocks, broadcastChannel: false });
    const b = indexedDbAdapter({ indexedDB: shared, locks: sharedLocks, broadcastChannel: false });
    await a.acquire!('k');
    await a.dispose();
    const lease = await b.acquire!('k');
    expect(lease.epoch).toBe(2);
    expect((await errorOf(a.acquire!('k'))).code).toBe('closed');
    await b.dispose();
  });

  it('an acquire that dispose overtakes (its epoch transaction in flight) rejects with closed and leaves the Web Lock free', async () => {
    const { spy, connections } = spiedFactory();
    const sharedLocks = processLocks();
    const a = indexedDbAdapter({ indexedDB: spy, locks: sharedLocks, broadcastChannel: false });
    await a.write('k', record(1));
    const db = connections[0]!;
    const original = db.transaction.bind(db);
    let disposing: Promise<void> | undefined;
    db.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
      const tx = original(...args);
      // The app disposes the adapter while the acquire's epoch bump runs (its Web Lock already granted).
      disposing ??= a.dispose();
      return tx;
    }) as IDBDatabase['transaction'];
    expect((await errorOf(a.acquire!('k'))).code).toBe('closed');
    await disposing;
    const b = indexedDbAdapter({ indexedDB: spy, locks: sharedLocks, broadcastChannel: false });
    expect((await b.acquire!('k')).epoch).toBe(2);
    await b.dispose();
  });

  it('a write in flight when the adapter is disposed resolves once committed: the closed channel does not fail it', async () => {
    const shared = new IDBFactory();
    const a = indexedDbAdapter({ dbName: 'closing', indexedDB: shared, locks: false });
    await a.write('k', record(1)); // opens the channel
    const writing = a.write('k', record(2));
    await a.dispose();
    await writing;
    const b = indexedDbAdapter({ dbName: 'closing', indexedDB: shared, locks: false });
    expect((await b.list('k')).map((g) => g.seq)).toEqual([2, 1]);
    await b.dispose();
  });

  it('tells other adapters of new generations through BroadcastChannel', async () => {
    const shared = new IDBFactory();
    const writer = indexedDbAdapter({ dbName: 'tabs', indexedDB: shared, locks: false });
    const follower = indexedDbAdapter({ dbName: 'tabs', indexedDB: shared, locks: false });
    const seen: unknown[] = [];
    const other: unknown[] = [];
    const unsubscribe = follower.subscribe('k', (notice) => seen.push(notice));
    follower.subscribe('other', (notice) => other.push(notice));
    await writer.write('k', record(1, 3));
    await expect.poll(() => seen).toEqual([{ key: 'k', seq: 1, epoch: 3 }]);
    unsubscribe();
    await writer.write('k', record(2, 3));
    await writer.write('other', record(1));
    await expect.poll(() => other).toHaveLength(1);
    expect(seen).toHaveLength(1);
    await writer.dispose();
    await follower.dispose();
  });
});

describe('indexedDbAdapter on the `clock` option', () => {
  it('times the wait of acquire({ waitMs }) on the clock, and stamps quarantine with it', async () => {
    const shared = { indexedDB: new IDBFactory(), locks: processLocks(), broadcastChannel: false as const };
    const clock = manualClock();
    const holder = indexedDbAdapter({ ...shared });
    const waiter = indexedDbAdapter({ ...shared, clock });
    const held = await holder.acquire!('k');
    const { outcome, fired } = await driveClock(clock, waiter.acquire!('k', { waitMs: 60_000 }));
    // One timer, the give-up at 60 s, fired by the fake clock: no minute passed for real.
    expect(outcome.status === 'rejected' && isCheckpointError(outcome.reason) && outcome.reason.code).toBe('lock-held');
    expect(fired).toBe(1);
    await held.release();
    const next = await waiter.acquire!('k', { waitMs: 60_000 });
    expect(clock.pending()).toEqual([]);
    await waiter.write('k', record(1, next.epoch));
    await waiter.quarantine('k', 1, 'test');
    expect((await waiter.listQuarantine('k'))[0]?.quarantinedAt).toBe(clock.now());
    await next.release();
    await Promise.all([holder.dispose(), waiter.dispose()]);
  });
});
