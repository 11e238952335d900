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
  /** The file descriptor (Node's `FileHandle.fd`), for {@link JournalFileSystem.writeSync}. */
  readonly fd?: number;
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
  /**
   * Node's `fs.writeSync(fd, buffer, offset, length)`: writes at the end of a
   * segment opened for appending and returns how many bytes went in. With it
   * (and the handle's `fd`), a group written while nothing of its segment is
   * being flushed is written at once, a copy into the page cache, instead of
   * a round trip through the thread pool before its `fdatasync` can start;
   * while a flush runs, groups are written through `writeFile` as before (a
   * page under writeback may make a write wait for the disk).
   * @default `node:fs`'s, with the default file system; none with another
   */
  writeSync?(fd: number, buffer: Uint8Array, offset: number, length: number): number;
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
