import { CheckpointError } from '../../src/errors.js';

/**
 * Resolves with the database an `indexedDB.open` request opens, or rejects
 * with its error (`onupgradeneeded` stays the caller's). The one helper the
 * adapters took from idb-keyval, so the package has no runtime dependency.
 *
 * @example
 * ```ts
 * import { opened } from './connection.js';
 * const db = await opened(indexedDB.open('checkpoints', 1));
 * ```
 */
export function opened(request: IDBOpenDBRequest): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () =>
      reject(request.error ?? new CheckpointError('io', { detail: 'IndexedDB refused to open the database' }));
  });
}

/** A cached IndexedDB connection, see {@link idbConnection}. */
export interface IdbConnection {
  /** The open connection, opening it on first use or after it was dropped. */
  get(): Promise<IDBDatabase>;
  /** Forgets the connection (closing it) so the next `get` reopens: after the browser lost it. */
  drop(): void;
  /** Closes the connection, if one is open or opening. */
  close(): Promise<void>;
}

/**
 * Shares one connection between the calls of an IndexedDB store: opened by
 * `open` on first use; forgotten when the browser closes it or another tab
 * upgrades the database (it closes at once so that tab is not blocked), and
 * when opening fails; reopened on the next use.
 *
 * @example
 * ```ts
 * import { idbConnection } from './connection.js';
 * const connection = idbConnection(() => new Promise((resolve, reject) => {
 *   const request = indexedDB.open('checkpoints', 1);
 *   request.onsuccess = () => resolve(request.result);
 *   request.onerror = () => reject(request.error);
 * }));
 * const db = await connection.get();
 * ```
 */
export function idbConnection(open: () => Promise<IDBDatabase>): IdbConnection {
  let dbp: Promise<IDBDatabase> | undefined;
  return {
    get() {
      if (dbp) return dbp;
      const p: Promise<IDBDatabase> = open().then((db) => {
        const forget = () => {
          if (dbp === p) dbp = undefined;
        };
        db.onversionchange = () => {
          db.close();
          forget();
        };
        db.onclose = forget;
        return db;
      });
      dbp = p;
      p.catch(() => {
        if (dbp === p) dbp = undefined;
      });
      return p;
    },
    drop() {
      const stale = dbp;
      dbp = undefined;
      stale?.then((db) => db.close()).catch(() => undefined);
    },
    async close() {
      const p = dbp;
      dbp = undefined;
      await p?.then((db) => db.close()).catch(() => undefined);
    },
  };
}

/**
 * Opens `dbName` with the object store `storeName` in it: created on the
 * first open, and added with a version bump to a database that exists
 * without it (a `dbName` shared with the app).
 *
 * @example
 * ```ts
 * import { openStore } from './connection.js';
 * const db = await openStore(() => indexedDB, 'my-app', 'checkpoints');
 * ```
 */
export function openStore(
  factory: () => IDBFactory,
  dbName: string,
  storeName: string,
  version?: number,
): Promise<IDBDatabase> {
  const request = version === undefined ? factory().open(dbName) : factory().open(dbName, version);
  request.onupgradeneeded = () => {
    if (!request.result.objectStoreNames.contains(storeName)) request.result.createObjectStore(storeName);
  };
  return opened(request).then((db) => {
    if (db.objectStoreNames.contains(storeName)) return db;
    db.close();
    return openStore(factory, dbName, storeName, db.version + 1);
  });
}
