/*
 * The file-system shape the fs adapter, its durable write, its lock and its journal share; it sits
 * below all of them so they import it, and never each other, for these types.
 */

/** An open file, as {@link FileSystemLike.open} returns it (a subset of Node's `FileHandle`). */
export interface FileHandleLike {
  /** Writes every byte (looping on short writes) from the current position. */
  writeFile(data: Uint8Array): Promise<void>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The part of `node:fs/promises` the adapter uses. `node:fs/promises` itself
 * fits; pass a wrapper for fault injection, or another implementation (for
 * example Electron's `original-fs`) where needed.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs/promises';
 * import { fileAdapter, type FileSystemLike } from 'xstate-checkpoint/adapters/fs';
 *
 * // Log every publication of a generation.
 * const logged: FileSystemLike = { ...fs, link: (from, to) => (console.log('publish', to), fs.link(from, to)) };
 * const adapter = fileAdapter({ dir: './.checkpoints', fs: logged });
 * ```
 */
export interface FileSystemLike {
  open(path: string, flags: string): Promise<FileHandleLike>;
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  link(existingPath: string, newPath: string): Promise<void>;
  rename(oldPath: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  stat(path: string): Promise<{ mtimeMs: number; size: number }>;
}
