import { dirname, join } from 'node:path';
import { CheckpointError, toCheckpointError } from '../../src/errors.js';
import { NAME, decoder, keyDir, noop, utf8, type FileIo } from './context.js';
import { errnoOf, fsError, isAbandonedTemp, publishFile, syncDir } from './durable.js';
import type { FileSystemLike } from './file-system.js';
import { readNames } from './folders.js';
import { KEY_FILE, keyFolderName } from './layout.js';

const prepareRoot = async (io: FileIo, fs: FileSystemLike) => {
  const { root } = io;
  let first: unknown;
  try {
    first = await fs.mkdir(root, { recursive: true });
  } catch (error) {
    throw fsError(error, undefined, `create the folder ${root}`);
  }
  // Make each newly created folder's own entry durable, up to the first one mkdir created.
  if (typeof first === 'string') {
    for (let d = root; ; d = dirname(d)) {
      await syncDir(fs, dirname(d)).catch(noop);
      if (d === first || dirname(d) === d) break;
    }
  }
};

/** Creates the key folder with its `key` file, both durably, and removes temps of dead writers. Once per key. */
const prepareKey = async (io: FileIo, fs: FileSystemLike, key: string, dir: string) => {
  io.rootReady ??= prepareRoot(io, fs).catch((error: unknown) => {
    io.rootReady = undefined;
    throw error;
  });
  // The root is shared by all keys; its errors get this key attached.
  await io.rootReady.catch((error: unknown) => Promise.reject(toCheckpointError(error, 'io', { key, adapter: NAME })));
  await fs.mkdir(dir).catch((error: unknown) => {
    if (errnoOf(error) !== 'EEXIST') throw fsError(error, key, 'create the key folder');
  });
  const names = await readNames(fs, dir, key);
  if (!names.includes(KEY_FILE)) await publishFile(fs, io.publishState, dir, join(dir, KEY_FILE), utf8(key), key);
  else if (keyFolderName(key).startsWith('h-')) {
    const stored = await fs.readFile(join(dir, KEY_FILE)).then(
      (bytes) => decoder.decode(bytes),
      (error: unknown) => Promise.reject(fsError(error, key, 'read the stored key')),
    );
    if (stored !== key) {
      throw new CheckpointError('io', { key, adapter: NAME, detail: `hash collision with stored key "${stored}"` });
    }
  }
  for (const name of names) if (isAbandonedTemp(name)) await fs.unlink(join(dir, name)).catch(noop);
  // Always, not only when this process created the folder: another one may have
  // created it and not yet fsynced the root, and nothing is acknowledged before this.
  await syncDir(fs, io.root).catch((error: unknown) => Promise.reject(fsError(error, key, 'fsync the store folder')));
};

/**
 * The key's folder, created on first use with the root (both durably) and
 * its `key` file; a hashed folder's stored key is checked against `key`
 * (`io` on a collision), and temps of dead writers are removed. Once per key
 * and adapter (a failure is tried again).
 *
 * @example
 * ```ts
 * const dir = await ensureKeyDir(io, fs, 'order-1');
 * ```
 */
export async function ensureKeyDir(io: FileIo, fs: FileSystemLike, key: string): Promise<string> {
  const dir = keyDir(io, key);
  let pending = io.prepared.get(dir);
  if (!pending) {
    pending = prepareKey(io, fs, key, dir);
    io.prepared.set(dir, pending);
    pending.catch(() => io.prepared.delete(dir));
  }
  await pending;
  return dir;
}
