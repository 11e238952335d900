import type { Clock } from '../../src/clock.js';

/** The part of the Web Storage API the adapter uses (`localStorage`, `sessionStorage` or a stand-in). */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

/** Options of {@link localStorageAdapter}. */
export interface LocalStorageAdapterOptions {
  /** Where to store. @default globalThis.localStorage, read on first use */
  readonly storage?: StorageLike;
  /** Prefix of every item the adapter writes, so it can share the storage with the app. @default 'xsc:' */
  readonly prefix?: string;
  /**
   * Time for quarantine timestamps (the core's `Clock`, as every adapter takes it).
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
