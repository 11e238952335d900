import type { Clock } from '../../src/clock.js';
import { CheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import { adapterClock } from '../shared/clock.js';
import { rebuildReporter } from '../shared/key-index-rebuild.js';
import type { LocalStorageAdapterOptions, StorageLike } from './options.js';

/** The adapter's name on its errors. */
export const NAME = 'localstorage';

/**
 * What every part of one localStorage adapter shares: its options with their
 * defaults, the rebuilt-index reporter and `disposed`.
 *
 * @example
 * ```ts
 * const cx: LsContext = lsContext({ prefix: 'my-app:' });
 * ```
 */
export interface LsContext {
  readonly options: LocalStorageAdapterOptions;
  readonly prefix: string;
  readonly clock: Clock;
  /** Reports a rebuilt index, once per key. */
  readonly reportRebuilt: (key: string, count: number) => void;
  disposed: boolean;
}

/**
 * The shared parts of an adapter for `options`; the storage is read on first use.
 *
 * @example
 * ```ts
 * const cx = lsContext({ prefix: 'my-app:' });
 * ```
 */
export function lsContext(options: LocalStorageAdapterOptions): LsContext {
  return {
    options,
    prefix: options.prefix ?? 'xsc:',
    clock: adapterClock(options),
    reportRebuilt: rebuildReporter(NAME, options.onWarning ?? ((message: string) => console.warn(message))),
    disposed: false,
  };
}

/**
 * The storage for a call on `key` (or on every key): refuses a call after
 * `dispose()` (`closed`) or on a key the contract refuses, and says which
 * option to set when there is no `localStorage` here.
 *
 * @example
 * ```ts
 * const s = storageFor(cx, 'prefs');
 * ```
 */
export function storageFor(cx: LsContext, key?: string): StorageLike {
  if (cx.disposed) throw new CheckpointError('closed', { key, adapter: NAME });
  if (key !== undefined) checkKey(key, NAME);
  const s = cx.options.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  if (!s) {
    throw new CheckpointError('invalid-option', {
      key,
      adapter: NAME,
      detail: 'localStorage is not available here: pass options.storage',
    });
  }
  return s;
}
