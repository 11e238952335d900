import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { crc32 } from '../../src/checksum.js';
import { CheckpointError, isCheckpointError, type CheckpointErrorCode } from '../../src/errors.js';
import type { FileHandleLike, FileSystemLike } from './file-system.js';

const NAME = 'fs';
const WIN32 = typeof process !== 'undefined' && process.platform === 'win32';
const noop = () => undefined;

/**
 * The `code` of a Node system error (`ENOENT`, ...), or `undefined`.
 *
 * @example
 * ```ts
 * import { errnoOf } from './durable.js';
 * errnoOf(Object.assign(new Error('gone'), { code: 'ENOENT' })); // 'ENOENT'
 * ```
 */
export const errnoOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** The `action` of {@link fsError} for listing a key folder (the adapter's lock, the journal). */
export const LIST_KEY_FOLDER = 'list the key folder';

/**
 * Whether a file-system error says the path is not there (`ENOENT`, `ENOTDIR`).
 *
 * @example
 * ```ts
 * import { missing } from './durable.js';
 * missing(Object.assign(new Error('gone'), { code: 'ENOENT' })); // true
 * ```
 */
export const missing = (error: unknown): boolean => errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR';

/**
 * True unless `pid` provably does not exist on this host (`kill(pid, 0)` fails
 * with `ESRCH`); a process of another user (`EPERM`) counts as alive.
 *
 * @example
 * ```ts
 * import { isAlive } from './durable.js';
 * isAlive(process.pid); // true
 * ```
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ESRCH';
  }
}

/**
 * A rejection handler that swallows errors with the given errno codes and rethrows the rest.
 *
 * @example
 * ```ts
 * import { mkdir } from 'node:fs/promises';
 * import { except } from './durable.js';
 * await mkdir('/tmp/x').catch(except('EEXIST'));
 * ```
 */
export const except =
  (...codes: string[]) =>
  (error: unknown): undefined => {
    if (!codes.includes(errnoOf(error) as string)) throw error;
    return undefined;
  };

const codes: Record<string, CheckpointErrorCode> = {
  ENOSPC: 'storage-full',
  EDQUOT: 'storage-full',
  EACCES: 'permission',
  EPERM: 'permission',
  EROFS: 'read-only',
};

/**
 * Maps a file-system error to a {@link CheckpointError}: ENOSPC and EDQUOT to
 * `storage-full`, EACCES and EPERM to `permission`, EROFS to `read-only`,
 * anything else to `io`; with the key, the adapter name and what was being done.
 *
 * @example
 * ```ts
 * import { fsError } from './durable.js';
 * fsError(Object.assign(new Error('full'), { code: 'ENOSPC' }), 'order-1', 'write').code; // 'storage-full'
 * ```
 */
export function fsError(error: unknown, key: string | undefined, action: string, seq?: number): CheckpointError {
  if (isCheckpointError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new CheckpointError(codes[String(errnoOf(error))] ?? 'io', {
    key,
    adapter: NAME,
    seq,
    cause: error,
    detail: `could not ${action}: ${reason}`,
  });
}

/**
 * Makes the entries of a folder durable (fsync of the folder). A no-op on
 * Windows, which cannot open folders (EPERM) and journals renames itself.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs/promises';
 * import { syncDir } from './durable.js';
 * await syncDir(fs, '/tmp');
 * ```
 */
export async function syncDir(fs: FileSystemLike, dir: string): Promise<void> {
  if (WIN32) return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close().catch(noop);
  }
}

// Temp names carry a host tag and the pid, so a later writer removes the
// temps of dead processes on this host only: `.tmp-<host>-<pid>-<random>`.
let hostTag: string | undefined;
const host = () => (hostTag ??= crc32(new TextEncoder().encode(hostname())).toString(16).padStart(8, '0'));
const TEMP_NAME = /^\.tmp-([0-9a-f]{8})-(\d+)-[0-9a-f]+$/;

/**
 * True for a temp file left behind by a process of this host that no longer runs.
 *
 * @example
 * ```ts
 * import { isAbandonedTemp } from './durable.js';
 * isAbandonedTemp('0000000000000001.gen'); // false: not a temp file
 * ```
 */
export function isAbandonedTemp(name: string): boolean {
  const match = TEMP_NAME.exec(name);
  if (!match || match[1] !== host()) return false;
  const pid = Number(match[2]);
  return pid !== process.pid && !isAlive(pid);
}

/** Where a publication stands; `linkUnsupported` is learned once per adapter. */
export interface PublishState {
  linkUnsupported: boolean;
}

async function writeTemp(fs: FileSystemLike, dir: string, parts: readonly Uint8Array[], key: string, seq?: number) {
  for (let attempt = 1; ; attempt++) {
    const tmp = join(dir, `.tmp-${host()}-${process.pid}-${randomBytes(6).toString('hex')}`);
    let handle: FileHandleLike | undefined;
    let step = 'create a temp file';
    try {
      handle = await fs.open(tmp, 'wx');
      step = 'write the temp file';
      // writeFile writes at the current position, so the parts follow each other
      // without being copied into one buffer first (a fresh megabyte costs more than the write).
      for (const part of parts) await handle.writeFile(part);
      step = 'fsync the temp file';
      await handle.sync();
      const h = handle;
      handle = undefined;
      await h.close();
      return tmp;
    } catch (error) {
      if (handle) await handle.close().catch(noop);
      if (step !== 'create a temp file') await fs.unlink(tmp).catch(noop);
      // After a failed fsync (or close, which reports write-back errors on NFS) the
      // kernel may have dropped the dirty pages: never fsync them again and trust it;
      // rewrite once from memory into a new file, or fail.
      if (step === 'fsync the temp file' && attempt === 1) continue;
      throw fsError(error, key, step, seq);
    }
  }
}

/**
 * Publishes `data` (or its parts, in order) as `target` in folder `dir` unless `target` exists, and
 * makes it durable: temp file, every byte written, fsync, `link()` (exclusive:
 * `EEXIST` is the compare-and-set failing), temp removed, folder fsynced. Where
 * hard links are unsupported (EPERM, ENOTSUP, EXDEV, ENOSYS) it falls back to
 * checking that `target` is absent and renaming. Resolves `false` when
 * `target` already exists; rejects with a typed error otherwise, leaving
 * neither a temp file nor an unacknowledged `target` behind.
 *
 * @example
 * ```ts
 * import { publishFile } from './durable.js';
 * import type { FileSystemLike } from './file-system.js';
 * declare const fs: FileSystemLike;
 * const published = await publishFile(fs, { linkUnsupported: false }, '/data/k-a', '/data/k-a/key', new Uint8Array(), 'a');
 * ```
 */
export async function publishFile(
  fs: FileSystemLike,
  state: PublishState,
  dir: string,
  target: string,
  data: Uint8Array | readonly Uint8Array[],
  key: string,
  seq?: number,
): Promise<boolean> {
  const tmp = await writeTemp(fs, dir, data instanceof Uint8Array ? [data] : data, key, seq);
  try {
    if (!state.linkUnsupported) {
      try {
        await fs.link(tmp, target);
      } catch (error) {
        const errno = errnoOf(error);
        if (errno !== 'EPERM' && errno !== 'ENOTSUP' && errno !== 'EXDEV' && errno !== 'ENOSYS') throw error;
        state.linkUnsupported = true;
      }
    }
    if (state.linkUnsupported) {
      // No hard links (FAT, some network shares): check, then rename. Not atomic against
      // a concurrent writer of the same seq; the lock and fencing cover that case.
      if (await fs.stat(target).then(() => true, except('ENOENT'))) {
        await fs.unlink(tmp).catch(noop);
        return false;
      }
      await fs.rename(tmp, target);
    }
  } catch (error) {
    await fs.unlink(tmp).catch(noop);
    if (errnoOf(error) === 'EEXIST') return false;
    throw fsError(error, key, 'publish the file', seq);
  }
  // After link the temp is a second name of the published file; one retry keeps a blip from leaving it behind.
  if (!state.linkUnsupported) await fs.unlink(tmp).catch(() => fs.unlink(tmp).catch(noop));
  try {
    await syncDir(fs, dir);
  } catch (error) {
    // Not known to be durable, so not acknowledged: take it back so a retry can reuse the name.
    await fs.unlink(target).catch(noop);
    throw fsError(error, key, 'fsync the folder', seq);
  }
  return true;
}
