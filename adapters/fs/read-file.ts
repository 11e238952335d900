// Whole-file reads for the default file system, in as few trips through the
// thread pool as the file allows.

/** The part of Node's callback `node:fs` that {@link readWholeFile} uses. */
export interface CallbackFs {
  open(path: string, flags: string, callback: (error: Error | null, fd: number) => void): void;
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

// First-read buffers, reused: a new 16 KB buffer per file (10,000 files in a
// restore) is 160 MB of short-lived memory for the collector. Each is owned by
// one read from open to finish; what a read returns is a copy.
const spare: Uint8Array[] = [];
const MAX_SPARE = 64;

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
 * read-only, so its result changes nothing.
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
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    fs.open(path, 'r', (openError, fd) => {
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
        if (length === buffer.length) {
          // To the stated size (one byte past it, so a longer file shows and
          // fails its check), but a crafted header stating gigabytes gets no
          // more than MAX_JUMP at once: past that the buffer only doubles.
          const stated = size === undefined ? 0 : Math.min(size + 1, MAX_JUMP);
          const grown = new Uint8Array(Math.max(stated, buffer.length * 2));
          grown.set(buffer);
          buffer = grown;
        }
        fs.read(fd, buffer, length, buffer.length - length, length, (readError, bytesRead) => {
          if (readError) return finish(readError);
          if (bytesRead === 0) return finish(null);
          length += bytesRead;
          size ??= sizeOf(buffer.subarray(0, length));
          if (size !== undefined && length >= size) finish(null);
          else next();
        });
      };
      next();
    });
  });
}
