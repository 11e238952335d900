import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AcquireOptions, Lease } from '../src/adapter.js';
import { CheckpointError } from '../src/errors.js';
import type { FileSystemLike } from './fs.js';
import { errnoOf, fsError, isAlive, syncDir } from './fs-durable.js';

// A lock is a file named after its fencing epoch: `lock-<epoch>`, created
// exclusively ('wx'). Releasing renames it to `lock-<epoch>.released`, so the
// highest epoch ever handed out stays visible in one readdir and is never
// handed out twice. Taking over a dead holder creates `lock-<epoch + 1>`;
// exclusive create makes exactly one of several takers win.
const LOCK_NAME = /^lock-(\d{16})(\.released)?$/;
const EPOCH_WIDTH = 16;
// A lock file that cannot be parsed is one whose creator died between the
// exclusive create and its first write; after this long it counts as dead.
const UNREADABLE_GRACE_MS = 10_000;
const POLL_MS = 25;

const lockName = (epoch: number, released = false) =>
  `lock-${String(epoch).padStart(EPOCH_WIDTH, '0')}${released ? '.released' : ''}`;

/** What a lock file holds. */
interface LockRecord {
  readonly pid: number;
  readonly hostname: string;
  readonly epoch: number;
  readonly acquiredAt: number;
  /** Lease end (ms since 1970), or null for a lease held until release or death. */
  readonly expiresAt: number | null;
  /** Random id of the adapter instance holding it. */
  readonly owner: string;
}

/** What the lock needs from the adapter that owns the key folder. */
export interface LockContext {
  readonly fs: FileSystemLike;
  /** The key's folder. */
  readonly dir: string;
  readonly key: string;
  /** Random id of the calling adapter instance. */
  readonly owner: string;
  readonly now: () => number;
  /** The epoch of the newest generation among the folder entries `names`. */
  generationEpoch(names: readonly string[]): Promise<number>;
}

/**
 * The highest fencing epoch recorded by a lock (held or released) among the
 * folder entries `names`; 0 when no lock was ever taken.
 *
 * @example
 * ```ts
 * import { lockEpoch } from './fs-lock.js';
 * lockEpoch(['0000000000000001.gen', 'lock-0000000000000003.released']); // 3
 * ```
 */
export function lockEpoch(names: readonly string[]): number {
  let max = 0;
  for (const name of names) {
    const match = LOCK_NAME.exec(name);
    if (match) max = Math.max(max, Number(match[1]));
  }
  return max;
}

function topLock(names: readonly string[]): { epoch: number; released: boolean } | undefined {
  let top: { epoch: number; released: boolean } | undefined;
  for (const name of names) {
    const match = LOCK_NAME.exec(name);
    if (!match) continue;
    const epoch = Number(match[1]);
    const released = match[2] !== undefined;
    // A held lock-N and its released marker never coexist; prefer "released" if they somehow do.
    if (!top || epoch > top.epoch || (epoch === top.epoch && released)) top = { epoch, released };
  }
  return top;
}

async function readHolder(ctx: LockContext, epoch: number): Promise<LockRecord | 'unreadable' | 'gone'> {
  let text: string;
  try {
    text = new TextDecoder().decode(await ctx.fs.readFile(join(ctx.dir, lockName(epoch))));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return 'gone';
    throw fsError(error, ctx.key, 'read the lock file');
  }
  try {
    const record = JSON.parse(text) as LockRecord;
    if (typeof record.pid === 'number' && typeof record.hostname === 'string' && typeof record.owner === 'string') {
      return record;
    }
  } catch {
    // falls through: unreadable
  }
  return 'unreadable';
}

async function isStale(ctx: LockContext, holder: LockRecord | 'unreadable', epoch: number): Promise<boolean> {
  if (holder === 'unreadable') {
    try {
      const { mtimeMs } = await ctx.fs.stat(join(ctx.dir, lockName(epoch)));
      return ctx.now() - mtimeMs > UNREADABLE_GRACE_MS;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return true;
      throw fsError(error, ctx.key, 'inspect the lock file');
    }
  }
  // Re-acquiring a key this adapter holds hands out a new epoch and fences the old lease.
  if (holder.owner === ctx.owner) return true;
  if (holder.expiresAt !== null && ctx.now() > holder.expiresAt) return true;
  // A pid means nothing on another host; there only lease expiry frees the lock.
  return holder.hostname === hostname() && holder.pid !== process.pid && !isAlive(holder.pid);
}

async function createLockFile(ctx: LockContext, epoch: number, ttlMs: number | undefined): Promise<boolean> {
  const path = join(ctx.dir, lockName(epoch));
  const acquiredAt = ctx.now();
  const record: LockRecord = {
    pid: process.pid,
    hostname: hostname(),
    epoch,
    acquiredAt,
    expiresAt: ttlMs === undefined ? null : acquiredAt + ttlMs,
    owner: ctx.owner,
  };
  let handle;
  try {
    handle = await ctx.fs.open(path, 'wx');
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw fsError(error, ctx.key, 'create the lock file');
  }
  try {
    await handle.writeFile(new TextEncoder().encode(JSON.stringify(record)));
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await ctx.fs.unlink(path).catch(() => undefined);
    throw fsError(error, ctx.key, 'write the lock file');
  }
  return true;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock of one key folder and returns its lease. Exclusive create of
 * `lock-<epoch>` with the next fencing epoch; a held lock is taken over only
 * when its holder is provably dead on this host (`kill(pid, 0)` fails with
 * `ESRCH`) or its lease (`ttlMs`) expired. Throws `lock-held` otherwise, after
 * polling for `waitMs`.
 *
 * @example
 * ```ts
 * import { acquireFileLock, type LockContext } from './fs-lock.js';
 * declare const ctx: LockContext;
 * const lease = await acquireFileLock(ctx, { ttlMs: 30_000 });
 * await lease.release();
 * ```
 */
export async function acquireFileLock(ctx: LockContext, options: AcquireOptions = {}): Promise<Lease> {
  const { ttlMs, waitMs = 0 } = options;
  if (ttlMs !== undefined && !(ttlMs > 0)) {
    throw new CheckpointError('invalid-option', {
      key: ctx.key,
      adapter: 'fs',
      detail: `ttlMs must be a positive number of milliseconds, got ${String(ttlMs)}`,
    });
  }
  const deadline = ctx.now() + Math.max(0, waitMs);
  const readNames = async () => {
    try {
      return await ctx.fs.readdir(ctx.dir);
    } catch (error) {
      throw fsError(error, ctx.key, 'list the key folder');
    }
  };
  for (;;) {
    const names = await readNames();
    const top = topLock(names);
    let holder: LockRecord | 'unreadable' | 'gone' | undefined;
    if (top && !top.released) {
      holder = await readHolder(ctx, top.epoch);
      if (holder !== 'gone' && !(await isStale(ctx, holder, top.epoch))) {
        const left = deadline - ctx.now();
        if (left > 0) {
          await sleep(Math.min(POLL_MS, left));
          continue;
        }
        throw new CheckpointError('lock-held', {
          key: ctx.key,
          adapter: 'fs',
          detail:
            holder === 'unreadable'
              ? 'a lock file is being created by another writer'
              : `held by pid ${holder.pid} on ${holder.hostname} since ${new Date(holder.acquiredAt).toISOString()} (epoch ${holder.epoch})`,
          data: { holder, waitMs },
        });
      }
    }
    const epoch = Math.max(top?.epoch ?? 0, await ctx.generationEpoch(names)) + 1;
    let won = await createLockFile(ctx, epoch, ttlMs);
    if (won) {
      // A taker that read the folder before a faster one created a higher lock
      // must not believe it holds the key (its writes would be fenced anyway).
      if (lockEpoch(await readNames()) > epoch) {
        await ctx.fs.unlink(join(ctx.dir, lockName(epoch))).catch(() => undefined);
        won = false;
      }
    }
    if (!won) {
      if (deadline - ctx.now() > 0) {
        await sleep(POLL_MS);
        continue;
      }
      throw new CheckpointError('lock-held', {
        key: ctx.key,
        adapter: 'fs',
        detail: 'another writer took the lock at the same moment',
        data: { waitMs },
      });
    }
    try {
      await syncDir(ctx.fs, ctx.dir);
    } catch (error) {
      await ctx.fs.unlink(join(ctx.dir, lockName(epoch))).catch(() => undefined);
      throw fsError(error, ctx.key, 'make the lock durable');
    }
    for (const name of names) {
      const match = LOCK_NAME.exec(name);
      if (match && Number(match[1]) < epoch) await ctx.fs.unlink(join(ctx.dir, name)).catch(() => undefined);
    }
    return lease(ctx, epoch);
  }
}

function lease(ctx: LockContext, epoch: number): Lease {
  let released: Promise<void> | undefined;
  const release = async () => {
    const holder = await readHolder(ctx, epoch);
    // Someone took the lock over (lease expired): it is no longer ours to release.
    if (holder === 'gone' || holder === 'unreadable' || holder.owner !== ctx.owner || holder.epoch !== epoch) return;
    try {
      await ctx.fs.rename(join(ctx.dir, lockName(epoch)), join(ctx.dir, lockName(epoch, true)));
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw fsError(error, ctx.key, 'release the lock');
    }
  };
  return {
    epoch,
    release() {
      released ??= release();
      return released;
    },
  };
}
