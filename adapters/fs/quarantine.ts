import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CheckpointAdapter, QuarantineInfo } from '../../src/adapter.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { NAME, decoder, keyDir, noop, use, utf8, type FileIo } from './context.js';
import { errnoOf, except, fsError, missing, publishFile, syncDir } from './durable.js';
import type { FileSystemLike } from './file-system.js';
import { keyFolders, quarantined } from './folders.js';
import { readInfo } from './generation-info.js';
import { QUARANTINE_DIR, QUARANTINE_ID, envelopeBytesOf, fixedWidth, generationName } from './layout.js';
import { newestQuarantinedFirst } from '../shared/quarantine.js';

/**
 * Moves generation `seq` into the key's `quarantine/` folder: a note with the
 * key and the reason is published first, then the `.gen` file is renamed
 * beside it and the key folder fsynced. `not-found` when the generation is
 * not there; a failure leaves no note behind.
 *
 * @example
 * ```ts
 * const info = await moveToQuarantine(io, fs, 'order-1', 3, 'corrupt');
 * ```
 */
export async function moveToQuarantine(
  io: FileIo,
  fs: FileSystemLike,
  key: string,
  seq: number,
  reason: string,
): Promise<QuarantineInfo> {
  const dir = keyDir(io, key);
  const source = join(dir, generationName(seq));
  const info = Number.isSafeInteger(seq) && seq > 0 ? (await readInfo(fs, source, seq, key))?.info : undefined;
  if (!info) throw new CheckpointError('not-found', { key, adapter: NAME, seq });
  const quarantinedAt = io.clock.now();
  const id = `${fixedWidth(seq)}-${quarantinedAt.toString(36)}-${randomBytes(4).toString('hex')}`;
  const qdir = join(dir, QUARANTINE_DIR);
  try {
    await fs.mkdir(qdir).catch(except('EEXIST'));
    await publishFile(fs, io.publishState, qdir, join(qdir, `${id}.json`), utf8(JSON.stringify({ key, reason })), key);
    await fs.rename(source, join(qdir, `${id}.gen`));
    await syncDir(fs, dir);
  } catch (error) {
    await fs.unlink(join(qdir, `${id}.json`)).catch(noop);
    if (errnoOf(error) === 'ENOENT') throw new CheckpointError('not-found', { key, adapter: NAME, seq });
    throw fsError(error, key, 'quarantine a generation', seq);
  }
  return { ...info, id, key, reason, quarantinedAt };
}

/**
 * Quarantines the leftover `seq` of a writer fenced by `lockEpoch` (reason
 * `fenced`); one another reader already moved is no error.
 *
 * @example
 * ```ts
 * await setAside(io, fs, 'order-1', 7, 2, 3);
 * ```
 */
export const setAside = (
  io: FileIo,
  fs: FileSystemLike,
  key: string,
  seq: number,
  epoch: number,
  lockEpoch: number,
): Promise<void> =>
  moveToQuarantine(io, fs, key, seq, `fenced: written with epoch ${epoch} after epoch ${lockEpoch} took the lock`).then(
    noop,
    (error: unknown) => {
      // Already moved by another reader of the same leftover.
      if (!isCheckpointError(error) || error.code !== 'not-found') throw error;
    },
  );

/**
 * The adapter's quarantine: `quarantine` ({@link moveToQuarantine}), and the
 * quarantined generations listed, read and deleted by their ids (a reason
 * note that is missing or damaged never hides the bytes).
 *
 * @example
 * ```ts
 * const { listQuarantine } = quarantineMethods(io);
 * const all = await listQuarantine(undefined);
 * ```
 */
export function quarantineMethods(
  io: FileIo,
): Pick<CheckpointAdapter, 'quarantine' | 'listQuarantine' | 'readQuarantined' | 'deleteQuarantined'> {
  return {
    async quarantine(key, seq, reason) {
      return moveToQuarantine(io, await use(io, key), key, seq, reason);
    },
    async listQuarantine(key) {
      const fs = await use(io, key);
      const folders =
        key === undefined
          ? (await keyFolders(io, fs)).filter((f) => f.names.includes(QUARANTINE_DIR))
          : [{ key, dir: keyDir(io, key) }];
      const out: QuarantineInfo[] = [];
      for (const folder of folders) {
        const qdir = join(folder.dir, QUARANTINE_DIR);
        for (const q of await quarantined(fs, folder.dir, folder.key)) {
          const info = (await readInfo(fs, join(qdir, `${q.id}.gen`), q.seq, folder.key))?.info;
          if (!info) continue;
          // The reason is informative only; a missing or damaged note must not hide the bytes.
          const note = await fs.readFile(join(qdir, `${q.id}.json`)).then((b) => JSON.parse(decoder.decode(b)), noop);
          const reason = typeof note?.reason === 'string' ? (note.reason as string) : 'unknown';
          out.push({ ...info, id: q.id, key: folder.key, reason, quarantinedAt: q.at });
        }
      }
      return out.sort(newestQuarantinedFirst);
    },
    async readQuarantined(key, id) {
      const fs = await use(io, key);
      if (!QUARANTINE_ID.test(id)) return undefined;
      try {
        return envelopeBytesOf(await fs.readFile(join(keyDir(io, key), QUARANTINE_DIR, `${id}.gen`)));
      } catch (error) {
        if (missing(error)) return undefined;
        throw fsError(error, key, 'read a quarantined generation');
      }
    },
    async deleteQuarantined(key, id) {
      const fs = await use(io, key);
      if (!QUARANTINE_ID.test(id)) return;
      for (const file of [`${id}.gen`, `${id}.json`]) {
        await fs.unlink(join(keyDir(io, key), QUARANTINE_DIR, file)).catch((error: unknown) => {
          if (!missing(error)) throw fsError(error, key, 'delete a quarantined generation');
        });
      }
    },
  };
}
