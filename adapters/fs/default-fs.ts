import { join } from 'node:path';
import { readEnvelopeHeader } from '../../src/envelope.js';
import type { FileSystemLike } from './file-system.js';
import { HEADER_SIZE, decodeGenerationHeader, generationName } from './layout.js';
import { MAX_FILE_BYTES, readWholeFile } from './read-file.js';
import type { SyncFs } from './read-many.js';

/** Most bytes of a key, lock or quarantine note file: they hold a key or a few fields of JSON. */
const MAX_NOTE_BYTES = 1024 * 1024;

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
  const read = readOnlyFlags(callbacks.constants);
  const flagsOf = (flags: string | number) => (flags === 'r' ? read : flags);
  // Only generation files are large: a key, lock or note file past 1 MiB is damage (one
  // linked to /dev/zero never ends, and read whole it took the process down).
  const readFile = (path: string) =>
    readWholeFile(callbacks, path, () => undefined, read, path.endsWith('.gen') ? MAX_FILE_BYTES : MAX_NOTE_BYTES);
  const readGen = (path: string, seq: number) =>
    readWholeFile(callbacks, path, (head) => statedFileSize(head, seq), read);
  const open = (path: string, flags: string) => promises.open(path, flagsOf(flags));
  const sync: SyncFs = { ...callbacks, openSync: (path, flags) => callbacks.openSync(path, flagsOf(flags)) };
  return { ...promises, open, readFile, [readGenerationFile]: readGen, [syncCalls]: sync };
}

/**
 * The flags to open a file read-only without blocking. Opening a FIFO
 * read-only blocks until a writer comes, holding a thread of the pool (or, for
 * openSync, the main thread) and even process.exit; a non-blocking open
 * returns at once and the FIFO reads as empty. Regular files and folders
 * ignore the flag. Windows has no such flag (or FIFOs): `'r'` there.
 *
 * @example
 * ```ts
 * import { constants } from 'node:fs';
 * const flags = readOnlyFlags(constants); // O_RDONLY | O_NONBLOCK on POSIX
 * ```
 */
export function readOnlyFlags(constants: { O_RDONLY: number; O_NONBLOCK?: number | undefined }): string | number {
  return constants.O_NONBLOCK === undefined ? 'r' : constants.O_RDONLY | constants.O_NONBLOCK;
}

/**
 * How long a generation file must be, from its first bytes: its header says
 * so once it is in and intact (seq included). When that header is damaged,
 * the envelope behind it says its own length; when that is damaged too, the
 * bytes in hand are all restore needs to call it corrupt, so reading stops
 * there (a damaged file is never read on to its end: it may be gigabytes, or
 * a link to `/dev/zero`). `undefined` while more bytes are needed to tell.
 *
 * @example
 * ```ts
 * statedFileSize(new Uint8Array(16), 3); // 16: no header, no envelope
 * ```
 */
export function statedFileSize(head: Uint8Array, seq: number): number | undefined {
  const header = decodeGenerationHeader(head, seq);
  if (header) return HEADER_SIZE + header.byteLength;
  // The envelope's 12-byte prefix, then its header (at most 64 KiB), must be in before it can say.
  if (head.length < HEADER_SIZE + 12) return undefined;
  const headerLength = (head[HEADER_SIZE + 6]! << 8) | head[HEADER_SIZE + 7]!;
  const magicOk = head[HEADER_SIZE] === 0x58 && head[HEADER_SIZE + 1] === 0x53;
  if (magicOk && head.length < HEADER_SIZE + 12 + headerLength) return undefined;
  try {
    const envelope = readEnvelopeHeader(head.subarray(HEADER_SIZE));
    return HEADER_SIZE + 12 + headerLength + envelope.length;
  } catch {
    return head.length;
  }
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
