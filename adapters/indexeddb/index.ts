import type {
  CheckpointAdapter,
  CheckpointRecord,
  GenerationInfo,
  GenerationNotice,
  NewestRead,
} from '../../src/adapter.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import { idbConnection, opened } from './connection.js';
import type { Clock } from '../../src/clock.js';
import { adapterClock } from '../shared/clock.js';
import { checkKeyIndex, type KeyIndex } from '../shared/key-index.js';
import type { LocksLike } from './lock.js';
import type { IdbStore, On, Upkeep } from './upkeep.js';

export type { LocksLike } from './lock.js';

/** The part of `BroadcastChannel` the adapter uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

export type { GenerationNotice };

/** Options of {@link indexedDbAdapter}. */
export interface IndexedDbAdapterOptions {
  /** Database name. @default 'xstate-checkpoint' */
  readonly dbName?: string;
  /** Object store inside the database; created (with a version bump) when missing. @default 'checkpoints' */
  readonly storeName?: string;
  /**
   * Transaction durability for writes. `'strict'` resolves a write only once
   * the browser has flushed it to disk; `'relaxed'` once the OS has it (survives
   * a browser crash, not a power cut). @default 'strict'
   */
  readonly durability?: IDBTransactionDurability;
  /** The IndexedDB factory (workers, Electron, fake-indexeddb in tests). @default globalThis.indexedDB, read on first use */
  readonly indexedDB?: IDBFactory;
  /**
   * Web Locks for one writer per key across tabs; `false` falls back to the
   * fencing epoch alone. @default navigator.locks where present
   */
  readonly locks?: LocksLike | false;
  /** Creates the channel that tells other tabs of new generations; `false` disables it. @default globalThis.BroadcastChannel */
  readonly broadcastChannel?: ((name: string) => ChannelLike) | false;
  /** Asked for `estimate()` when the quota is hit, to put usage and quota on the error. @default navigator.storage */
  readonly storage?: { estimate(): Promise<StorageEstimate> } | false;
  /**
   * Time for quarantine timestamps and the wait of `acquire({ waitMs })` (the core's `Clock`, as every adapter takes it).
   * @default systemClock
   */
  readonly clock?: Clock;
  /** A damaged key index that was rebuilt is reported here. @default console.warn */
  readonly onWarning?: (message: string) => void;
  /**
   * @deprecated Pass `clock` instead; `now` alone still sets the clock's `now()`.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** The IndexedDB adapter: the adapter contract plus a way to follow other tabs. */
export interface IndexedDbAdapter extends CheckpointAdapter {
  /**
   * Calls `listener` when another tab (or another adapter on the same
   * database) publishes a generation of `key`. Returns the unsubscribe function.
   */
  subscribe(key: string, listener: (notice: GenerationNotice) => void): () => void;
}

type Meta = KeyIndex;

const name = 'indexeddb';
// Thrown inside a transaction that met a damaged index before upkeep.ts (which rebuilds it) was
// loaded: run() loads it and runs the transaction again, so it never reaches a caller.
const NEEDS_REBUILD = /* @__PURE__ */ new CheckpointError('io', {
  adapter: name,
  detail: 'the index rebuild is not loaded',
});
const retryable = (error: unknown): boolean => {
  const e = error as { name?: unknown; message?: unknown } | null;
  return (
    e?.name === 'InvalidStateError' ||
    e?.name === 'UnknownError' ||
    (e?.name === 'AbortError' && !isCheckpointError(error)) ||
    // Safari drops connections in the background and reports it only like this.
    String(e?.message).includes('Connection to Indexed Database server lost')
  );
};

/**
 * Stores checkpoints in IndexedDB. Every write is one readwrite transaction
 * that checks the sequence and the fencing epoch and resolves only on the
 * transaction's `complete` event. One key's metadata lives in one record
 * (keyed by the key string), each generation's envelope bytes in another
 * (keyed `[key, seq]`), stored byte for byte.
 *
 * The connection opens on first use, closes on `versionchange`, and is
 * reopened once when the browser dropped it. `acquire` takes a Web Lock per
 * key (released when the tab closes or crashes) and bumps the epoch inside a
 * transaction. A full quota rejects with `storage-full` carrying
 * `navigator.storage.estimate()`.
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
 * import { createMachine } from 'xstate';
 *
 * const adapter = indexedDbAdapter({ dbName: 'my-app' });
 * const persisted = await persistActor(createMachine({ id: 'checkout' }), { key: 'cart', adapter, lock: true });
 * adapter.subscribe('cart', ({ seq }) => console.log('another tab saved', seq));
 * ```
 */
export function indexedDbAdapter(options: IndexedDbAdapterOptions = {}): IndexedDbAdapter {
  const dbName = options.dbName ?? 'xstate-checkpoint';
  const storeName = options.storeName ?? 'checkpoints';
  const durability = options.durability ?? 'strict';
  const clock = adapterClock(options);
  const nav = (): Navigator | undefined => (globalThis as { navigator?: Navigator }).navigator;
  const channelName = `xstate-checkpoint:${dbName}/${storeName}`;
  const leases = new Set<() => void>();
  const listeners = new Map<string, Set<(notice: GenerationNotice) => void>>();
  let channel: ChannelLike | undefined;
  let disposed = false;

  const factory = (): IDBFactory => {
    const found = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!found) {
      throw new CheckpointError('invalid-option', {
        adapter: name,
        detail: 'IndexedDB is not available here: pass options.indexedDB (e.g. from fake-indexeddb)',
      });
    }
    return found;
  };
  const open = (version?: number): Promise<IDBDatabase> => {
    const request = version === undefined ? factory().open(dbName) : factory().open(dbName, version);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(storeName)) request.result.createObjectStore(storeName);
    };
    return opened(request).then((db) => {
      if (db.objectStoreNames.contains(storeName)) return db;
      // The database exists without our store (a shared dbName): add it with a version bump.
      db.close();
      return open(db.version + 1);
    });
  };
  const connection = idbConnection(() => open());

  const toError = async (error: unknown, key: string | undefined, seq?: number): Promise<CheckpointError> => {
    if (isCheckpointError(error)) return error;
    if ((error as { name?: unknown } | null)?.name === 'QuotaExceededError') {
      const storage = options.storage ?? nav()?.storage;
      const data = storage ? await storage.estimate().catch(() => undefined) : undefined;
      return new CheckpointError('storage-full', {
        key,
        adapter: name,
        seq,
        cause: error,
        ...(data ? { data: { usage: data.usage, quota: data.quota } } : {}),
      });
    }
    return new CheckpointError('io', { key, adapter: name, seq, cause: error });
  };

  /**
   * Runs `body` in one transaction and resolves with its result on `complete`.
   * A callback that throws aborts the transaction, so nothing it did is kept.
   */
  const run = async <T>(
    mode: IDBTransactionMode,
    key: string | undefined,
    body: (store: IDBObjectStore, on: On) => () => T,
    seq?: number,
  ): Promise<T> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: name });
    if (key !== undefined) checkKey(key, name);
    for (let attempt = 0; ; attempt++) {
      let failure: Error | undefined;
      try {
        const db = await connection.get();
        const tx = db.transaction(storeName, mode, { durability });
        const on: On = (request, fn) => {
          request.onsuccess = () => {
            try {
              fn(request.result);
            } catch (error) {
              failure = error as Error;
              tx.abort();
            }
          };
        };
        let result: () => T;
        try {
          result = body(tx.objectStore(storeName), on);
        } catch (error) {
          failure = error as Error;
          tx.abort();
          throw error;
        }
        return await new Promise<T>((resolve, reject) => {
          tx.oncomplete = () => resolve(result());
          tx.onabort = () => reject(failure ?? tx.error ?? new DOMException('transaction aborted', 'AbortError'));
        });
      } catch (error) {
        if (failure === undefined && attempt === 0 && retryable(error) && !disposed) {
          // The browser closed the connection under us: reopen once and redo the whole transaction.
          connection.drop();
          continue;
        }
        // A damaged index met before its rebuild code was loaded: load it, redo the transaction.
        if (failure === NEEDS_REBUILD) {
          await loadUpkeep(key);
          continue;
        }
        throw await toError(error, key, seq);
      }
    }
  };

  const emptyMeta = (): Meta => ({ top: 0, epoch: 0, gens: [], quarantine: [] });

  /**
   * Reads the key's index record as hostile storage and calls `fn` with it. A
   * damaged one must not hide (or let a write overwrite) the generations it
   * listed: it is rebuilt from the stored records (upkeep.ts), reported, and
   * restore verifies each as always.
   */
  const withMeta = (store: IDBObjectStore, on: On, key: string, fn: (m: Meta) => void) => {
    on(store.get(key), (value) => {
      if (value === undefined) return fn(emptyMeta());
      const m = checkKeyIndex(value, key);
      if (m) return fn(m);
      if (!rare) throw NEEDS_REBUILD;
      rare.rebuild(store, on, key, fn);
    });
  };

  const fail = (code: 'fenced' | 'conflict' | 'not-found', key: string, seq: number, detail?: string) =>
    new CheckpointError(code, { key, adapter: name, seq, detail });

  const idb: IdbStore = {
    name,
    clock,
    run,
    withMeta,
    factory,
    onWarning: options.onWarning ?? ((message: string) => console.warn(message)),
    fail,
  };
  // The seldom-made calls (upkeep.ts) and `acquire` (lock.ts) load on first use.
  let rare: Upkeep | undefined;
  const loadUpkeep = async (key?: string): Promise<Upkeep> =>
    (rare ??= (await load(key, () => import('./upkeep.js'))).upkeep(idb));
  const load = <M>(key: string | undefined, importer: () => Promise<M>): Promise<M> =>
    importer().catch((cause: unknown) => {
      throw new CheckpointError('io', { key, adapter: name, detail: 'could not load a part of the adapter', cause });
    });

  const notify = (notice: GenerationNotice) => {
    for (const fn of listeners.get(notice.key) ?? []) fn(notice);
  };
  const getChannel = (): ChannelLike | undefined => {
    if (channel || options.broadcastChannel === false || disposed) return channel;
    const Ctor = (globalThis as { BroadcastChannel?: new (n: string) => ChannelLike }).BroadcastChannel;
    channel = options.broadcastChannel ? options.broadcastChannel(channelName) : Ctor && new Ctor(channelName);
    if (channel) {
      channel.onmessage = (event) => notify(event.data as GenerationNotice);
      // Node keeps the process alive for an open channel; browsers have no unref.
      (channel as { unref?: () => void }).unref?.();
    }
    return channel;
  };

  const adapter: IndexedDbAdapter = {
    name,
    capabilities: { durable: durability === 'strict', crossProcess: true, locks: true },

    list(key) {
      return run('readonly', key, (store, on) => {
        let out: GenerationInfo[] = [];
        withMeta(store, on, key, (m) => (out = m.gens));
        return () => out;
      });
    },

    read(key, seq) {
      return run('readonly', key, (store, on) => {
        let live = false;
        let bytes: Uint8Array | undefined;
        withMeta(store, on, key, (m) => (live = m.gens.some((g) => g.seq === seq)));
        on(store.get([key, seq]), (b) => (bytes = b as Uint8Array | undefined));
        return () => (live ? bytes : undefined);
      });
    },

    async write(key, record: CheckpointRecord) {
      // Copied now: the caller may reuse its buffer before the transaction runs, and
      // structured clone of a view would store the whole underlying buffer.
      const bytes = record.bytes.slice();
      const { seq, epoch, createdAt } = record;
      await run(
        'readwrite',
        key,
        (store, on) => {
          // Checked, then put, in one transaction: a refused write leaves nothing, and a rebuilt
          // index (withMeta) sees only what was stored before this write.
          withMeta(store, on, key, (m) => {
            if (epoch < m.epoch)
              throw fail('fenced', key, seq, `epoch ${epoch} is older than the key's epoch ${m.epoch}`);
            if (seq <= m.top) throw fail('conflict', key, seq, `generation ${m.top} already exists`);
            store.put(bytes, [key, seq]);
            m.top = seq;
            m.epoch = epoch;
            m.gens.unshift({ seq, epoch, byteLength: bytes.length, createdAt });
            store.put(m, key);
          });
          return () => undefined;
        },
        seq,
      );
      getChannel()?.postMessage({ key, seq, epoch } satisfies GenerationNotice);
    },

    readNewest(key) {
      return run('readonly', key, (store, on) => {
        let found: NewestRead = { seqs: [], quarantinedSeq: 0, epoch: 0 };
        withMeta(store, on, key, (m) => {
          const base = {
            seqs: m.gens.map((g) => g.seq),
            quarantinedSeq: Math.max(0, ...m.quarantine.map((q) => q.seq)),
            epoch: Math.max(0, ...m.gens.map((g) => g.epoch)),
          };
          found = base;
          // The newest generation whose bytes are there, in the same transaction as the index.
          const next = (i: number): void => {
            const g = m.gens[i];
            if (g)
              on(store.get([key, g.seq]), (b) =>
                b === undefined ? next(i + 1) : (found = { ...base, newest: { seq: g.seq, bytes: b as Uint8Array } }),
              );
          };
          next(0);
        });
        return () => found;
      });
    },

    remove: async (key, seq) => (await loadUpkeep(key)).remove(key, seq),
    keys: async () => (await loadUpkeep()).keys(),
    quarantine: async (key, seq, reason) => (await loadUpkeep(key)).quarantine(key, seq, reason),
    listQuarantine: async (key) => (await loadUpkeep(key)).listQuarantine(key),
    readQuarantined: async (key, id) => (await loadUpkeep(key)).readQuarantined(key, id),
    deleteQuarantined: async (key, id) => (await loadUpkeep(key)).deleteQuarantined(key, id),

    async acquire(key, acquireOptions) {
      if (disposed) throw new CheckpointError('closed', { key, adapter: name });
      checkKey(key, name);
      const { acquireKey } = await load(key, () => import('./lock.js'));
      const locks = options.locks === false ? undefined : (options.locks ?? nav()?.locks);
      return acquireKey(idb, { clock, locks, prefix: channelName, leases }, key, acquireOptions);
    },

    subscribe(key, listener) {
      let set = listeners.get(key);
      if (!set) listeners.set(key, (set = new Set()));
      set.add(listener);
      getChannel();
      return () => {
        set.delete(listener);
      };
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const unlock of leases) unlock();
      leases.clear();
      listeners.clear();
      channel?.close();
      await connection.close();
    },
  };
  return adapter;
}
