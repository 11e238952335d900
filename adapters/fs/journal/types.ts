import type { JournalStore } from '../../../src/adapter.js';
import type { Clock } from '../../../src/clock.js';
import type { FileHandleLike, FileSystemLike } from '../file-system.js';

/**
 * An open journal segment: what the journal needs of Node's `FileHandle` beyond {@link FileHandleLike}.
 *
 * @example
 * ```ts
 * import { open } from 'node:fs/promises';
 * const handle: JournalFileHandle = await open('/tmp/0000000000000001.journal', 'a+');
 * ```
 */
export interface JournalFileHandle extends FileHandleLike {
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  stat(): Promise<{ size: number }>;
}

/**
 * The part of `node:fs/promises` the journal uses (`node:fs/promises` itself fits).
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs/promises';
 * const files: JournalFileSystem = fs as unknown as JournalFileSystem;
 * ```
 */
export interface JournalFileSystem extends FileSystemLike {
  open(path: string, flags: string): Promise<JournalFileHandle>;
}

/**
 * Options of `fileJournal`.
 *
 * @example
 * ```ts
 * const options: FileJournalOptions = { dir: './.checkpoints' };
 * ```
 */
export interface FileJournalOptions {
  /** Root folder of the store: the same `dir` as the `fileAdapter` it goes with. */
  readonly dir: string;
  /** The file system. @default `node:fs/promises`, imported on first use */
  readonly fs?: JournalFileSystem;
  /**
   * Time for the names of set-aside damaged parts and for the lease that
   * `trustLease` passes (the core's `Clock`, as every adapter takes it).
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * @deprecated Pass `clock` instead; `now` alone still sets the clock's `now()`.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * A {@link JournalStore} that owns file handles.
 *
 * @example
 * ```ts
 * import { fileJournal } from 'xstate-checkpoint/adapters/fs-journal';
 * const journal: FileJournal = fileJournal({ dir: './.checkpoints' });
 * await journal.dispose();
 * ```
 */
export interface FileJournal extends JournalStore {
  /** Waits for running calls, closes the segment files; later calls reject with `closed`. */
  dispose(): Promise<void>;
  /**
   * Told by `fileJournalAdapter` when this process holds the key's lock:
   * appends with `epoch` that finish writing before `until` (by this journal's
   * `clock`) skip the listing beside their flush, because no one can take the
   * lock over before then. `undefined` forgets it (a lock being taken or
   * released). Without it every append lists the folder.
   */
  trustLease(key: string, lease: { readonly epoch: number; readonly until: number } | undefined): void;
}
