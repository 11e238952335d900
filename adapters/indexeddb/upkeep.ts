// The IndexedDB adapter's calls that a running app seldom makes: removing generations,
// quarantine, listing keys, rebuilding a damaged key index. Loaded on first use (index.ts).
import type { GenerationInfo, QuarantineInfo } from '../../src/adapter.js';
import type { CheckpointError } from '../../src/errors.js';
import { isCheckpointError } from '../../src/errors.js';
import { checkKeyIndex, type KeyIndex } from '../shared/key-index.js';
import { rebuiltKeyIndex, rebuildReporter } from '../shared/key-index-rebuild.js';

/** Sets the handler of one request of the running transaction (see `IdbStore.run`). */
export type On = <R>(request: IDBRequest<R>, fn: (value: R) => void) => void;

/** What the adapter shares with the parts it loads on demand. */
export interface IdbStore {
  readonly name: string;
  readonly clock: { now(): number };
  /** Runs `body` in one transaction; resolves with its result on `complete` (see index.ts). */
  run<T>(
    mode: IDBTransactionMode,
    key: string | undefined,
    body: (store: IDBObjectStore, on: On) => () => T,
  ): Promise<T>;
  /** Calls `fn` with the key's index record, checked, rebuilt when damaged (see index.ts). */
  withMeta(store: IDBObjectStore, on: On, key: string, fn: (m: KeyIndex) => void): void;
  /** The IndexedDB factory, for `cmp`. */
  factory(): IDBFactory;
  /** Reports a rebuilt index (once per key). */
  readonly onWarning: (message: string) => void;
  fail(code: 'not-found', key: string, seq: number): CheckpointError;
}

/** The calls {@link upkeep} adds to an adapter. */
export interface Upkeep {
  remove(key: string, seq: number): Promise<void>;
  quarantine(key: string, seq: number, reason: string): Promise<QuarantineInfo>;
  listQuarantine(key?: string): Promise<QuarantineInfo[]>;
  readQuarantined(key: string, id: string): Promise<Uint8Array | undefined>;
  deleteQuarantined(key: string, id: string): Promise<void>;
  keys(): Promise<string[]>;
  /** Rebuilds a damaged index record from the stored generations of `key`, in the running transaction. */
  rebuild(store: IDBObjectStore, on: On, key: string, fn: (m: KeyIndex) => void): void;
}

/**
 * The seldom-made calls of the IndexedDB adapter on `s` (see the adapter's
 * own documentation for each).
 *
 * @example
 * ```ts
 * import { upkeep, type IdbStore } from './upkeep.js';
 * declare const store: IdbStore;
 * await upkeep(store).remove('cart', 1);
 * ```
 */
export function upkeep(s: IdbStore): Upkeep {
  const reportRebuilt = rebuildReporter(s.name, s.onWarning);

  /** `[seq, byteLength]` of every stored `[key, seq]` record, then `done` (in the same transaction). */
  const storedGenerations = (
    store: IDBObjectStore,
    on: On,
    key: string,
    done: (pairs: Array<[number, number]>) => void,
  ) => {
    const from = [key, 1];
    const pairs: Array<[number, number]> = [];
    let jumped = false;
    // A cursor from the start, moved to [key, 1] (no IDBKeyRange needed: it may not be global).
    on(store.openCursor(), (cursor) => {
      if (!cursor) return done(pairs);
      if (!jumped) {
        jumped = true;
        if (s.factory().cmp(cursor.key, from) < 0) return cursor.continue(from);
      }
      const k = cursor.key;
      if (!Array.isArray(k) || k[0] !== key) return done(pairs);
      const seq = k[1];
      if (Number.isSafeInteger(seq) && (seq as number) >= 1) {
        const v: unknown = cursor.value;
        pairs.push([seq as number, v instanceof Uint8Array ? v.length : 0]);
      }
      cursor.continue();
    });
  };

  /** Every key's index record; `undefined` for a damaged one (its own key's calls rebuild it). */
  const allMetas = (store: IDBObjectStore, on: On, each: (key: string, m: KeyIndex | undefined) => void) => {
    // Metadata records are keyed by plain strings, which sort before every [key, seq] array key.
    on(store.openCursor(), (cursor) => {
      if (!cursor || typeof cursor.key !== 'string') return;
      each(cursor.key, checkKeyIndex(cursor.value, cursor.key));
      cursor.continue();
    });
  };

  /**
   * Removes one generation (live or quarantined) from the index, and its bytes.
   * Over quota, Chromium refuses even a put that shrinks the index but lets a
   * delete through: on storage-full the bytes go first (a listed generation
   * without bytes reads as pruned) and the index follows once there is room.
   */
  const drop = async (key: string, list: 'gens' | 'quarantine', match: (g: GenerationInfo) => boolean) => {
    const step = (bytesOnly: boolean) =>
      s.run('readwrite', key, (store, on) => {
        s.withMeta(store, on, key, (m) => {
          const g = m[list].find(match);
          if (!g) return;
          store.delete([key, g.seq]);
          if (bytesOnly) return;
          if (list === 'gens') m.gens = m.gens.filter((x) => x !== g);
          else m.quarantine = m.quarantine.filter((x) => x !== g);
          store.put(m, key);
        });
        return () => undefined;
      });
    try {
      await step(false);
    } catch (error) {
      if (!isCheckpointError(error) || error.code !== 'storage-full') throw error;
      await step(true);
      await step(false);
    }
  };

  return {
    remove: (key, seq) => drop(key, 'gens', (g) => g.seq === seq),

    keys() {
      return s.run('readonly', undefined, (store, on) => {
        const out: string[] = [];
        allMetas(store, on, (key, m) => (!m || m.gens.length > 0) && out.push(key));
        return () => out;
      });
    },

    quarantine(key, seq, reason) {
      return s.run('readwrite', key, (store, on) => {
        let info: QuarantineInfo | undefined;
        s.withMeta(store, on, key, (m) => {
          const g = m.gens.find((x) => x.seq === seq);
          if (!g) throw s.fail('not-found', key, seq);
          // The bytes stay under [key, seq]: the sequence is never reused, so the id can name it.
          info = { ...g, id: `q${seq}`, key, reason, quarantinedAt: s.clock.now() };
          m.gens = m.gens.filter((x) => x !== g);
          m.quarantine.push(info);
          store.put(m, key);
        });
        return () => info!;
      });
    },

    listQuarantine(key) {
      return s.run('readonly', key, (store, on) => {
        const out: QuarantineInfo[] = [];
        if (key === undefined) allMetas(store, on, (_, m) => m && out.push(...m.quarantine));
        else s.withMeta(store, on, key, (m) => out.push(...m.quarantine));
        return () => out.sort((a, b) => b.quarantinedAt - a.quarantinedAt || b.seq - a.seq);
      });
    },

    readQuarantined(key, id) {
      return s.run('readonly', key, (store, on) => {
        let bytes: Uint8Array | undefined;
        s.withMeta(store, on, key, (m) => {
          const q = m.quarantine.find((x) => x.id === id);
          if (q) on(store.get([key, q.seq]), (b) => (bytes = b as Uint8Array | undefined));
        });
        return () => bytes;
      });
    },

    deleteQuarantined: (key, id) => drop(key, 'quarantine', (g) => (g as QuarantineInfo).id === id),

    rebuild(store, on, key, fn) {
      storedGenerations(store, on, key, (pairs) => {
        const rebuilt = rebuiltKeyIndex(pairs);
        reportRebuilt(key, rebuilt.gens.length);
        fn(rebuilt);
      });
    },
  };
}
