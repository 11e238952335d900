import { join } from 'node:path';
import type { FileSystemLike } from './file-system.js';
import { HEADER_SIZE, decodeGenerationHeader, generationName } from './layout.js';
import { readWholeFile } from './read-file.js';
import type { SyncFs } from './read-many.js';

/** The default file system's faster way to read a generation file (not part of {@link FileSystemLike}). */
const readGenerationFile = Symbol('readGenerationFile');

/**
 * The default file system's synchronous calls, for `readNewestMany` (an injected one has none).
 *
 * @example
 * ```ts
 * const sync = fs[syncCalls]; // undefined for an injected file system
 * ```
 */
export const syncCalls = Symbol('syncCalls');

/**
 * A file system the adapter runs on: an injected {@link FileSystemLike}, or
 * the default one with its two extras.
 *
 * @example
 * ```ts
 * const fs: DefaultFileSystem = await nodeFileSystem();
 * ```
 */
export type DefaultFileSystem = FileSystemLike & {
  [readGenerationFile]?: (path: string, seq: number) => Promise<Uint8Array>;
  [syncCalls]?: SyncFs;
};

/**
 * The default file system: `node:fs/promises`, with `readFile` from the
 * callback API (for small files about 3x faster on Node 20: the promise
 * version runs open, fstat, read and close as separate steps through a
 * `FileHandle`), and generation files read without asking their size
 * ({@link readWholeFile}: their header states it).
 *
 * @example
 * ```ts
 * const fs = await nodeFileSystem();
 * await fs.readdir('./.checkpoints');
 * ```
 */
export async function nodeFileSystem(): Promise<DefaultFileSystem> {
  const [promises, callbacks] = await Promise.all([import('node:fs/promises'), import('node:fs')]);
  const readFile = (path: string) =>
    new Promise<Uint8Array>((resolve, reject) => {
      callbacks.readFile(path, (error, data) => (error ? reject(error) : resolve(data)));
    });
  // The header states the file's length once it is in and intact (seq included).
  const readGen = (path: string, seq: number) =>
    readWholeFile(callbacks, path, (head) => {
      const header = decodeGenerationHeader(head, seq);
      return header && HEADER_SIZE + header.byteLength;
    });
  return { ...promises, readFile, [readGenerationFile]: readGen, [syncCalls]: callbacks };
}

/**
 * Reads generation `seq`'s file: the default file system's own way, or an injected one's `readFile`.
 *
 * @example
 * ```ts
 * const file = await readGeneration(fs, dir, 3); // header and envelope
 * ```
 */
export const readGeneration = (fs: DefaultFileSystem, dir: string, seq: number): Promise<Uint8Array> => {
  const path = join(dir, generationName(seq));
  return fs[readGenerationFile]?.(path, seq) ?? fs.readFile(path);
};
