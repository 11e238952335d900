import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AcquireOptions, Lease } from '../../src/adapter.js';
import type { Clock } from '../../src/clock.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { pause } from '../shared/clock.js';
import type { FileSystemLike } from './file-system.js';
import { errnoOf, fsError, isAlive, LIST_KEY_FOLDER, syncDir } from './durable.js';
import { generationSeqs } from './layout.js';

// A lock is a file named after its fencing epoch: `lock-<epoch>`, created
// exclusively ('wx'). Releasing renames it to `lock-<epoch>.released`, so the
// highest epoch ever handed out stays visible in one readdir and is never
// handed out twice. Taking over a dead holder creates `lock-<epoch + 1>`;
// exclusive create makes exactly one of several takers win.
const LOCK_NAME = /^lock-(\d{16})(\.released)?$/;
/**
 * The epoch a lock file name records, or `undefined` when the name is no lock's.
 * Sixteen digits reach past 2^53: such a name (never written by a lock, which
 * would take 2^53 hand-overs) is ignored, else the next epoch would be unsafe
 * and every write of the key refused.
 */
function lockNameEpoch(name: string): { epoch: number; released: boolean } | undefined {
  const match = LOCK_NAME.exec(name);
  if (!match) return undefined;
  const epoch = Number(match[1]);
  return Number.isSafeInteger(epoch) ? { epoch, released: match[2] !== undefined } : undefined;
}
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
  /**
   * The newest generation when the lock changed hands (read after the lock
   * file was created): a generation above it with a lower epoch was published
   * by a fenced writer. Missing in locks written before it existed.
   */
  readonly fencesAbove?: number;
}

/**
 * A generation above `aboveSeq` with an epoch below `epoch` was published by a
 * writer paused across the hand-over of the lock: it was never acknowledged,
 * so it is set aside, never restored.
 */
export interface FenceRule {
  readonly epoch: number;
  readonly aboveSeq: number;
}

/** What the lock needs from the adapter that owns the key folder. */
export interface LockContext {
  readonly fs: FileSystemLike;
  /** The key's folder. */
  readonly dir: string;
  readonly key: string;
  /** Random id of the calling adapter instance. */
  readonly owner: string;
  /** Time for lease expiry and the waits between tries. */
  readonly clock: Clock;
  /** The epoch of the newest generation among the folder entries `names`. */
  generationEpoch(names: readonly string[]): Promise<number>;
  /** The epoch in the header of generation `seq`, or `undefined` when it is gone or its header is damaged. */
  headerEpoch(seq: number): Promise<number | undefined>;
  /** Moves generation `seq`, a fenced writer's leftover, to quarantine. */
  setAside(seq: number, epoch: number, lockEpoch: number): Promise<void>;
}

/**
 * The highest fencing epoch recorded by a lock (held or released) among the
 * folder entries `names`; 0 when no lock was ever taken.
 *
 * @example
 * ```ts
 * import { lockEpoch } from './lock.js';
 * lockEpoch(['0000000000000001.gen', 'lock-0000000000000003.released']); // 3
 * ```
 */
export function lockEpoch(names: readonly string[]): number {
  let max = 0;
  for (const name of names) {
    const lock = lockNameEpoch(name);
    if (lock) max = Math.max(max, lock.epoch);
  }
  return max;
}

function topLock(names: readonly string[]): { epoch: number; released: boolean } | undefined {
  let top: { epoch: number; released: boolean } | undefined;
  for (const name of names) {
    const lock = lockNameEpoch(name);
    if (!lock) continue;
    const { epoch, released } = lock;
    // A held lock-N and its released marker never coexist; prefer "released" if they somehow do.
    if (!top || epoch > top.epoch || (epoch === top.epoch && released)) top = { epoch, released };
  }
  return top;
}

async function readHolder(
  ctx: Pick<LockContext, 'fs' | 'dir' | 'key'>,
  epoch: number,
  released = false,
): Promise<LockRecord | 'unreadable' | 'gone'> {
  let text: string;
  try {
    text = new TextDecoder().decode(await ctx.fs.readFile(join(ctx.dir, lockName(epoch, released))));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return 'gone';
    // Damage, like a lock file of garbage: past the grace period it is taken over.
    if (isCheckpointError(error) && (error.code === 'too-large' || error.code === 'corrupt')) return 'unreadable';
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
      return ctx.clock.now() - mtimeMs > UNREADABLE_GRACE_MS;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return true;
      throw fsError(error, ctx.key, 'inspect the lock file');
    }
  }
  // Re-acquiring a key this adapter holds hands out a new epoch and fences the old lease.
  if (holder.owner === ctx.owner) return true;
  if (holder.expiresAt !== null && ctx.clock.now() > holder.expiresAt) return true;
  // A pid means nothing on another host; there only lease expiry frees the lock.
  return holder.hostname === hostname() && holder.pid !== process.pid && !isAlive(holder.pid);
}

/**
 * The fence rule of the highest lock among the folder entries `names` (held
 * or released), or `undefined` when there is none or it predates the rule.
 * The lock file is untrusted input: a rule is only taken from a record whose
 * numbers are what {@link acquireFileLock} writes.
 *
 * @example
 * ```ts
 * import { readFenceRule } from './lock.js';
 * import type { FileSystemLike } from './file-system.js';
 * declare const fs: FileSystemLike;
 * const rule = await readFenceRule({ fs, dir: '/data/k-a', key: 'a' }, ['lock-0000000000000002']);
 * ```
 */
export async function readFenceRule(
  ctx: Pick<LockContext, 'fs' | 'dir' | 'key'>,
  names: readonly string[],
): Promise<FenceRule | undefined> {
  const top = topLock(names);
  if (!top) return undefined;
  const record = await readHolder(ctx, top.epoch, top.released);
  if (typeof record !== 'object' || record.epoch !== top.epoch) return undefined;
  const above = Object.hasOwn(record, 'fencesAbove') ? record.fencesAbove : undefined;
  return Number.isSafeInteger(above) && above! >= 0 ? { epoch: top.epoch, aboveSeq: above! } : undefined;
}

/**
 * True when generation `seq` with `epoch` was published by a fenced writer
 * after the lock changed hands (see {@link FenceRule}).
 *
 * @example
 * ```ts
 * import { isFencedLeftover } from './lock.js';
 * isFencedLeftover({ epoch: 2, aboveSeq: 5 }, 6, 1); // true
 * ```
 */
export const isFencedLeftover = (rule: FenceRule | undefined, seq: number, epoch: number): boolean =>
  rule !== undefined && epoch < rule.epoch && seq > rule.aboveSeq;

/**
 * The check after the act, shared by the generation writer and the journal:
 * once a write is durable, the lock must still be the one the writer's epoch
 * came from. A writer paused between its first check and publishing (SIGSTOP,
 * a long GC) finds a higher lock here, and its write is not acknowledged: it
 * rejects with `fenced`. Whatever it left behind is set aside by the new holder.
 *
 * @example
 * ```ts
 * import { confirmNotFenced } from './lock.js';
 * import type { FileSystemLike } from './file-system.js';
 * declare const fs: FileSystemLike;
 * await confirmNotFenced({ fs, dir: '/data/k-a', key: 'a' }, 3, 12);
 * ```
 */
export async function confirmNotFenced(
  ctx: Pick<LockContext, 'fs' | 'dir' | 'key'>,
  epoch: number,
  seq: number,
): Promise<void> {
  let names: string[];
  try {
    names = await ctx.fs.readdir(ctx.dir);
  } catch (error) {
    throw fsError(error, ctx.key, 'check the lock after publishing', seq);
  }
  const current = lockEpoch(names);
  if (current <= epoch) return;
  throw new CheckpointError('fenced', {
    key: ctx.key,
    adapter: 'fs',
    seq,
    detail: `the lock changed hands (epoch ${epoch} to ${current}) while this write was being published; it is not acknowledged`,
  });
}

/**
 * The newest generation that counts when lock `epoch` is taken, read after the
 * lock file exists so every generation published before it is seen. The
 * leftovers of writers fenced by the previous lock are moved to quarantine
 * first: they were never acknowledged, and under the new lock's rule they
 * would look like history again.
 */
async function fenceBaseline(ctx: LockContext, names: readonly string[], epoch: number): Promise<number> {
  const previous = await readFenceRule(
    ctx,
    names.filter((name) => (lockNameEpoch(name)?.epoch ?? epoch) < epoch),
  );
  let baseline = 0;
  for (const seq of generationSeqs(names)) {
    if (!previous || seq <= previous.aboveSeq) return Math.max(baseline, seq);
    const genEpoch = await ctx.headerEpoch(seq);
    // A damaged header counts: restore checks and quarantines it.
    if (genEpoch === undefined || !isFencedLeftover(previous, seq, genEpoch)) baseline = Math.max(baseline, seq);
    else await ctx.setAside(seq, genEpoch, previous.epoch);
  }
  return baseline;
}

async function createLockFile(ctx: LockContext, epoch: number, ttlMs: number | undefined): Promise<boolean> {
  const path = join(ctx.dir, lockName(epoch));
  let handle;
  try {
    handle = await ctx.fs.open(path, 'wx');
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw fsError(error, ctx.key, 'create the lock file');
  }
  try {
    // Listed only now that the lock file exists: a fenced writer's generation that is
    // not in this listing was published after the hand-over, and its own check after
    // publishing sees this lock.
    const names = await ctx.fs.readdir(ctx.dir);
    const acquiredAt = ctx.clock.now();
    const record: LockRecord = {
      pid: process.pid,
      hostname: hostname(),
      epoch,
      acquiredAt,
      expiresAt: ttlMs === undefined ? null : acquiredAt + ttlMs,
      owner: ctx.owner,
      fencesAbove: await fenceBaseline(ctx, names, epoch),
    };
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

/**
 * Takes the lock of one key folder and returns its lease. Exclusive create of
 * `lock-<epoch>` with the next fencing epoch; a held lock is taken over only
 * when its holder is provably dead on this host (`kill(pid, 0)` fails with
 * `ESRCH`) or its lease (`ttlMs`) expired. Throws `lock-held` otherwise, after
 * polling for `waitMs`.
 *
 * @example
 * ```ts
 * import { acquireFileLock, type LockContext } from './lock.js';
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
  const deadline = ctx.clock.now() + Math.max(0, waitMs);
  const readNames = async () => {
    try {
      return await ctx.fs.readdir(ctx.dir);
    } catch (error) {
      throw fsError(error, ctx.key, LIST_KEY_FOLDER);
    }
  };
  for (;;) {
    const names = await readNames();
    const top = topLock(names);
    let holder: LockRecord | 'unreadable' | 'gone' | undefined;
    if (top && !top.released) {
      holder = await readHolder(ctx, top.epoch);
      if (holder !== 'gone' && !(await isStale(ctx, holder, top.epoch))) {
        const left = deadline - ctx.clock.now();
        if (left > 0) {
          await pause(ctx.clock, Math.min(POLL_MS, left));
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
      if (deadline - ctx.clock.now() > 0) {
        await pause(ctx.clock, POLL_MS);
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
      if ((lockNameEpoch(name)?.epoch ?? epoch) < epoch)
        await ctx.fs.unlink(join(ctx.dir, name)).catch(() => undefined);
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
