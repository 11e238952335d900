import { join } from 'node:path';
import { decoder, noop, type FileIo } from './context.js';
import { fsError, missing } from './durable.js';
import type { FileSystemLike } from './file-system.js';
import { KEY_FILE, QUARANTINE_DIR, QUARANTINE_ID, keyFolderName, keyFromFolderName } from './layout.js';

/**
 * The names in `dir`; none when it does not exist (reading never creates a
 * folder). A failure is typed by {@link fsError} with `action`.
 *
 * @example
 * ```ts
 * const names = await readNames(fs, dir, 'order-1');
 * ```
 */
export async function readNames(
  fs: FileSystemLike,
  dir: string,
  key: string | undefined,
  action = 'list a folder',
): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if (missing(error)) return [];
    throw fsError(error, key, action);
  }
}

/**
 * The quarantined generations in the key folder `dir`, by the names of their
 * `.gen` files: id, seq and when they were quarantined.
 *
 * @example
 * ```ts
 * const [q] = await quarantined(fs, dir, 'order-1'); // { id, seq, at }
 * ```
 */
export const quarantined = async (
  fs: FileSystemLike,
  dir: string,
  key: string,
): Promise<Array<{ id: string; seq: number; at: number }>> =>
  (await readNames(fs, join(dir, QUARANTINE_DIR), key)).flatMap((name) => {
    const match = name.endsWith('.gen') ? QUARANTINE_ID.exec(name.slice(0, -4)) : null;
    return match ? [{ id: match[0], seq: Number(match[1]), at: Number.parseInt(match[2]!, 36) }] : [];
  });

/**
 * Every key folder: one readdir of the root, one per key, one small read per hashed key.
 *
 * @example
 * ```ts
 * const keys = (await keyFolders(io, fs)).map((f) => f.key);
 * ```
 */
export async function keyFolders(
  io: FileIo,
  fs: FileSystemLike,
): Promise<Array<{ key: string; dir: string; names: string[] }>> {
  const { root } = io;
  const names = (await readNames(fs, root, undefined)).filter((n) => n.startsWith('k-') || n.startsWith('h-'));
  const out: Array<{ key: string; dir: string; names: string[] }> = [];
  for (let i = 0; i < names.length; i += 64) {
    const batch = await Promise.all(
      names.slice(i, i + 64).map(async (name) => {
        const dir = join(root, name);
        const entries = await readNames(fs, dir, undefined);
        let key = keyFromFolderName(name);
        if (name.startsWith('h-') && entries.includes(KEY_FILE)) {
          key = await fs.readFile(join(dir, KEY_FILE)).then((b) => decoder.decode(b), noop);
          // A key file that does not name this folder (empty, replaced) would list a key whose calls go elsewhere.
          if (key !== undefined && keyFolderName(key) !== name) key = undefined;
        }
        return key === undefined ? undefined : { key, dir, names: entries };
      }),
    );
    for (const entry of batch) if (entry) out.push(entry);
  }
  return out;
}
