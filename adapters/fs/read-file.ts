// Whole-file reads for the default file system, in as few trips through the
// thread pool as the file allows.
import { CheckpointError } from '../../src/errors.js';

/** The part of Node's callback `node:fs` that {@link readWholeFile} uses. */
export interface CallbackFs {
  open(path: string, flags: string | number, callback: (error: Error | null, fd: number) => void): void;
  read(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytesRead: number) => void,
  ): void;
  close(fd: number, callback: (error: Error | null) => void): void;
}

/**
 * First read size: a checkpoint file (40-byte header + envelope) usually fits,
 * so a read that returns less than this has met the end of the file.
 */
export const FIRST_READ = 16 * 1024;
/** Largest buffer made at once for a stated size (the default `maxBytes` of a payload). */
const MAX_JUMP = 64 * 1024 * 1024;
/**
 * Most bytes {@link readWholeFile} reads of one file before it gives up with
 * `too-large`: 1 GiB, twice what any codec that goes through text can decode
 * (V8 holds no string of more than about 2^29 characters), so no readable
 * generation is refused, while a crafted or damaged file (a sparse file of
 * gigabytes, a link to `/dev/zero`) cannot take the process's memory.
 */
export const MAX_FILE_BYTES = 2 ** 30;

// First-read buffers, reused: a new 16 KB buffer per file (10,000 files in a
// restore) is 160 MB of short-lived memory for the collector. Each is owned by
// one read from open to finish; what a read returns is a copy.
const spare: Uint8Array[] = [];
const MAX_SPARE = 64;

const NOT_A_FILE = new Set(['EISDIR', 'ESPIPE']);
/**
 * Whether a read failed because the path is a folder or a FIFO (one put where
 * a generation belongs): damage to quarantine, not a storage failure to retry.
 *
 * @example
 * ```ts
 * import { isNotAFile } from './read-file.js';
 * isNotAFile(Object.assign(new Error('x'), { code: 'EISDIR' })); // true
 * ```
 */
export function isNotAFile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_A_FILE.has(code);
}
function notAFile(error: Error, path: string): CheckpointError | undefined {
  if (!isNotAFile(error)) return undefined;
  const code = String((error as { code?: unknown }).code);
  return new CheckpointError('corrupt', {
    adapter: 'fs',
    detail: `${path} is not a regular file (${code})`,
    cause: error,
  });
}

/**
 * Reads a whole file with `open`, `read`s and `close`. `sizeOf` tells from the
 * bytes read so far how long the file must be (or `undefined` when they do not
 * say); once that many bytes are in, no further read is made. A checkpoint
 * generation says its length in its header, so one under {@link FIRST_READ}
 * bytes takes three trips through Node's thread pool, where `fs.readFile`
 * makes four (it asks for the size first) and `fs/promises` `readFile` four
 * or five, each through a `FileHandle`; restoring 10,000 actors makes one such
 * read each. Without a size (or before it is reached) reading goes on until a
 * read returns nothing, so a short read is never taken for the end. The
 * result is a copy of exactly the bytes read. A file longer than its stated size is read one
 * byte past it, so that the caller's length check sees it. `close` is not waited for: the file was opened
 * read-only, so its result changes nothing. More than `maxBytes` bytes (default {@link MAX_FILE_BYTES})
 * rejects with `too-large`; `flags` are what `open` gets (the default file system passes
 * non-blocking read-only, so a FIFO put where a generation belongs reads as empty instead of hanging).
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import { readWholeFile } from './read-file.js';
 * const bytes = await readWholeFile(fs, '/etc/hostname', () => undefined);
 * ```
 */
export function readWholeFile(
  fs: CallbackFs,
  path: string,
  sizeOf: (head: Uint8Array) => number | undefined,
  flags: string | number = 'r',
  maxBytes = MAX_FILE_BYTES,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    fs.open(path, flags, (openError, fd) => {
      if (openError) return reject(openError);
      const first = spare.pop() ?? new Uint8Array(FIRST_READ);
      let buffer = first;
      let length = 0;
      let size: number | undefined;
      const finish = (error: Error | null) => {
        fs.close(fd, () => undefined);
        const bytes = error ? undefined : buffer.slice(0, length);
        if (spare.length < MAX_SPARE) spare.push(first);
        if (error) reject(error);
        else resolve(bytes!);
      };
      const next = () => {
        if (length >= maxBytes) {
          return finish(
            new CheckpointError('too-large', {
              adapter: 'fs',
              detail: `${path} is over ${maxBytes} bytes, more than the file store reads of one file (damaged, or not its own?)`,
            }),
          );
        }
        if (length === buffer.length) {
          // To the stated size (one byte past it, so a longer file shows and
          // fails its check), but a crafted header stating gigabytes gets no
          // more than MAX_JUMP at once: past that the buffer only doubles.
          const stated = size === undefined ? 0 : Math.min(size + 1, MAX_JUMP);
          const grown = new Uint8Array(Math.min(Math.max(stated, buffer.length * 2), maxBytes + 1));
          grown.set(buffer);
          buffer = grown;
        }
        fs.read(fd, buffer, length, buffer.length - length, length, (readError, bytesRead) => {
          if (readError) return finish(notAFile(readError, path) ?? readError);
          if (bytesRead === 0) return finish(null);
          length += bytesRead;
          // A throw here (a sizeOf on hostile bytes, an allocation) would escape the
          // callback and end the process: it rejects this read instead.
          try {
            size ??= sizeOf(buffer.subarray(0, length));
            if (size !== undefined && length >= size) finish(null);
            else next();
          } catch (error) {
            finish(error as Error);
          }
        });
      };
      next();
    });
  });
}
