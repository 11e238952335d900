// The types the IndexedDB adapter's parts share: the start-up ones (context.ts, transaction.ts,
// generations.ts) and the ones loaded on first use (upkeep.ts, lock.ts).
import type { QuarantineInfo } from '../../src/adapter.js';
import type { Clock } from '../../src/clock.js';
import type { KeyIndex } from '../shared/key-index.js';
import type { IdbConnection } from './connection.js';
import type { IndexedDbAdapterOptions } from './options.js';

/** Sets the handler of one request of the running transaction (see `IdbStore.run`). */
export type On = <R>(request: IDBRequest<R>, fn: (value: R) => void) => void;

/** What the adapter shares with the parts it loads on demand (upkeep.ts, lock.ts). */
export interface IdbStore {
  readonly name: string;
  readonly clock: Clock;
  /** Runs `body` in one transaction; resolves with its result on `complete` (see transaction.ts). */
  run<T>(
    mode: IDBTransactionMode,
    key: string | undefined,
    body: (store: IDBObjectStore, on: On) => () => T,
    seq?: number,
  ): Promise<T>;
  /** Calls `fn` with the key's index record, checked, rebuilt when damaged (see transaction.ts). */
  withMeta(store: IDBObjectStore, on: On, key: string, fn: (m: KeyIndex) => void): void;
  /** The IndexedDB factory, for `cmp`. */
  factory(): IDBFactory;
  /** Where a rebuilt index is reported (once per key): `options.onWarning`, else `console.warn` (upkeep.ts). */
  readonly onWarning: ((message: string) => void) | undefined;
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
 * What every part of one IndexedDB adapter shares: its settings (options with
 * their defaults), its connection, and the state its calls change (the leases
 * held, the on-demand calls once loaded, `disposed`). Made by `idbContext`.
 */
export interface IdbContext extends IdbStore {
  readonly options: IndexedDbAdapterOptions;
  readonly storeName: string;
  readonly durability: IDBTransactionDurability;
  readonly connection: IdbConnection;
  /** The name of the channel that tells other tabs of new generations; lock names start with it. */
  readonly channelName: string;
  /** The releases of the leases held, run when the adapter is disposed. */
  readonly leases: Set<() => void>;
  /** The seldom-made calls (upkeep.ts), loaded on first use. */
  loadUpkeep(key?: string): Promise<Upkeep>;
  /** The seldom-made calls, once loaded. */
  upkeep: Upkeep | undefined;
  disposed: boolean;
}
