import type { Clock } from '../../src/clock.js';

/** The part of the Web Locks API the adapter uses (`navigator.locks`). */
export interface LocksLike {
  request(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>;
}

/** The part of `BroadcastChannel` the adapter uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

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

/** The page's `navigator`, where there is one (not in Node or every worker): the default of `locks` and `storage`. */
export const navigatorOf = (): Navigator | undefined => (globalThis as { navigator?: Navigator }).navigator;
