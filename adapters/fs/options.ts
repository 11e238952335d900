import type { Clock } from '../../src/clock.js';
import type { FileSystemLike } from './file-system.js';

/** Options of {@link fileAdapter}. */
export interface FileAdapterOptions {
  /** Root folder of the store; created (with its parents) on the first write. Reading never creates it. */
  readonly dir: string;
  /** The file system. @default `node:fs/promises` (files read through `node:fs` callbacks), imported on first use */
  readonly fs?: FileSystemLike;
  /**
   * Time for lock leases and waits, quarantine timestamps (the core's `Clock`, as every adapter takes it).
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * @deprecated Pass `clock` instead; `now` alone still sets the clock's `now()`.
   * @default Date.now
   */
  readonly now?: () => number;
}
