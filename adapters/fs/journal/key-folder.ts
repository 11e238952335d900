import { dirname, join } from 'node:path';
import { fsError, LIST_KEY_FOLDER, publishFile, syncDir } from '../durable.js';
import { readNames } from '../folders.js';
import { KEY_FILE } from '../layout.js';
import type { JournalIo, KeyState } from './state.js';

/**
 * Creates the root and key folders (durably) and the `key` file the file
 * adapter keeps there; once per key and journal (remembered in `s.dir`).
 *
 * @example
 * ```ts
 * const dir = await ensureDir(io, s, 'order-1', join(root, keyFolderName('order-1')));
 * ```
 */
export async function ensureDir(io: JournalIo, s: KeyState, key: string, dir: string): Promise<string> {
  if (s.dir === dir) return dir;
  const { fs } = io;
  let first: unknown;
  try {
    first = await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw fsError(error, key, 'create the key folder');
  }
  if (typeof first === 'string') {
    for (let d = dir; ; d = dirname(d)) {
      await syncDir(fs, dirname(d)).catch((error: unknown) => Promise.reject(fsError(error, key, 'fsync')));
      if (d === first || dirname(d) === d) break;
    }
  }
  if (!(await readNames(fs, dir, key, LIST_KEY_FOLDER)).includes(KEY_FILE)) {
    await publishFile(fs, io.publishState, dir, join(dir, KEY_FILE), new TextEncoder().encode(key), key);
  }
  s.dir = dir;
  return dir;
}
