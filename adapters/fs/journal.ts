import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type {
  CheckpointAdapter,
  JournalDamage,
  JournalEntry,
  JournalReadResult,
  JournalStore,
} from '../../src/adapter.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { FRAME_HEADER, encodeJournalFrames, scanJournalFrames, type FrameScan } from '../../src/journal-frame.js';
import { checkJournalOrder } from '../../src/journal-order.js';
import { checkKey } from '../../src/keys.js';
import { errnoOf, fsError, publishFile, syncDir, type PublishState } from './durable.js';
import { KEY_FILE, fixedWidth, keyFolderName } from './layout.js';
import { confirmNotFenced, lockEpoch } from './lock.js';
import { adapterClock } from '../shared/clock.js';
import { fileAdapter, type FileAdapterOptions, type FileHandleLike, type FileSystemLike } from './index.js';

/** An open journal segment: what the journal needs of Node's `FileHandle` beyond {@link FileHandleLike}. */
export interface JournalFileHandle extends FileHandleLike {
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  stat(): Promise<{ size: number }>;
}

/** The part of `node:fs/promises` the journal uses (`node:fs/promises` itself fits). */
export interface JournalFileSystem extends FileSystemLike {
  open(path: string, flags: string): Promise<JournalFileHandle>;
}

/** Options of {@link fileJournal}. */
export interface FileJournalOptions {
  /** Root folder of the store: the same `dir` as the {@link fileAdapter} it goes with. */
  readonly dir: string;
  /** The file system. @default `node:fs/promises`, imported on first use */
  readonly fs?: JournalFileSystem;
  /** Wall clock for the names of set-aside damaged parts. @default Date.now */
  readonly now?: () => number;
}

/** A {@link JournalStore} that owns file handles. */
export interface FileJournal extends JournalStore {
  /** Waits for running calls, closes the segment files; later calls reject with `closed`. */
  dispose(): Promise<void>;
  /**
   * Told by {@link fileJournalAdapter} when this process holds the key's lock:
   * appends with `epoch` that finish writing before `until` (this journal's
   * `now()`) skip the listing beside their flush, because no one can take the
   * lock over before then. `undefined` forgets it (a lock being taken or
   * released). Without it every append lists the folder.
   */
  trustLease(key: string, lease: { readonly epoch: number; readonly until: number } | undefined): void;
}

const NAME = 'fs';
const SEGMENT = /^(\d{16})\.journal$/;
const noop = () => undefined;
const missing = (error: unknown) => errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR';
const segmentName = (firstSeq: number) => `${fixedWidth(firstSeq)}.journal`;
const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

interface Segment {
  readonly name: string;
  readonly firstSeq: number;
}

interface Active {
  readonly path: string;
  readonly name: string;
  readonly handle: JournalFileHandle;
  /** Bytes of good entries: where the next append starts. */
  size: number;
}

interface KeyState {
  chain: Promise<unknown>;
  dir?: string;
  /** The tail was checked (and repaired) by this journal: `lastSeq`, `lastEpoch` and `active` are current. */
  verified: boolean;
  active: Active | undefined;
  lastSeq: number;
  lastEpoch: number;
  /** The highest lock epoch in the key folder when this journal last listed it. */
  lockEpoch: number;
  /** Start a new segment with the next append (after a truncate), so whole old segments can go. */
  rollNext: boolean;
  /** Groups written to the active segment and waiting for a flush, in file order. */
  unflushed: Unflushed[];
  /** The flush loop, while one runs. */
  flushing: Promise<void> | undefined;
  /** The write of a group in progress (it resolves once the group is queued for its flush). */
  writing: Promise<void> | undefined;
  /** Rewriting unflushed groups after a failed flush: writes wait for it. */
  recovering: Promise<void> | undefined;
  /**
   * After a failure: appends of that epoch are refused until the entries from
   * `seq` come again (no holes). A newer epoch is another owner, who continues
   * after what it restored: it clears this.
   */
  failed: { readonly seq: number; readonly epoch: number } | undefined;
  /** The lock this process holds on the key, as {@link FileJournal.trustLease} was told. */
  lease: { readonly epoch: number; readonly until: number } | undefined;
}

/** A group in the active segment whose flush is pending. */
interface Unflushed {
  readonly first: number;
  readonly epoch: number;
  /** Offset of its first byte in the segment. */
  readonly start: number;
  readonly frames: Uint8Array;
  /** The fencing check that runs beside its flush: its failure, if any. */
  readonly fence: Promise<CheckpointError | undefined>;
  readonly resolve: () => void;
  readonly reject: (error: CheckpointError) => void;
}

/**
 * Notes that the append of `epoch`'s entries from `seq` on failed: that
 * writer's later groups are refused until these come again. A fenced writer
 * is not waited for (the new owner continues after what it restored), and an
 * older epoch's failure never replaces a newer one's.
 */
function noteFailed(s: KeyState, seq: number, epoch: number, error: unknown): void {
  if (isCheckpointError(error) && (error.code === 'fenced' || error.code === 'conflict')) return;
  const f = s.failed;
  if (!f || epoch > f.epoch) s.failed = { seq, epoch };
  else if (epoch === f.epoch) s.failed = { seq: Math.min(seq, f.seq), epoch };
}

function segmentsOf(names: readonly string[]): Segment[] {
  const out: Segment[] = [];
  for (const name of names) {
    const match = SEGMENT.exec(name);
    if (match) out.push({ name, firstSeq: Number(match[1]) });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/**
 * The event journal of the file store: per key, append-only segment files
 * `<first seq>.journal` in the key's folder (next to its generations), each a
 * sequence of framed entries (length, seq, epoch, CRC-32 of the payload, CRC-32
 * of that header; see `encodeJournalFrames`). One append is one `write` of all
 * its entries; appends are pipelined (`pipelined: true`): while one group's
 * `fdatasync` runs, the next group is written, and its flush starts as soon as
 * the previous one returns (one flush covers every group written before it
 * started). Each append resolves once its group is flushed, in order. A new
 * segment file is made durable in its folder before it is acknowledged.
 *
 * Crash handling: an append cut short by a crash leaves a torn tail, which
 * `read` reports and the next append cuts off (it was never acknowledged). A
 * damaged entry with data after it is reported as corrupt; the next append
 * moves that part (and any later segment) aside as `*.damaged-*` files in the
 * key folder, never deleting it, and continues after the last good entry.
 * After a failed `fdatasync` every group waiting for it is rewritten once from
 * memory (never trusted to a second flush of the same pages), or all of them
 * fail, the file is cut back to where the first began, and appends past that
 * point are refused until the failed entries are appended again (no holes).
 *
 * Fencing costs no I/O per append: the folder is listed (lock epoch, tail
 * re-read) on a key's first append, after a failure and when a new segment
 * starts; in the steady state an append is its `write` and `fdatasync` only.
 * An epoch below the key's lock epoch or one already in the journal is
 * refused with `fenced`. The check for a lock taken over meanwhile (a listing)
 * runs beside each `fdatasync`, started once the bytes are in the file, and a
 * group it finds fenced is not acknowledged. Frames a fenced writer appended
 * anyway carry its older epoch: readers skip frames of an older epoch that
 * follow a newer one, and a newer owner's frame that repeats a seq supersedes
 * the older epoch's entries from there on (see `scanJournalFrames`). Entries a
 * fenced writer left at the end of the journal before the new owner's first
 * append are moved aside as a `*.fenced-*` file (kept) by that append.
 * Appends from two processes need `persistActor({ lock: true })`.
 *
 * @example
 * ```ts
 * import { fileJournal } from 'xstate-checkpoint/adapters/fs-journal';
 * const journal = fileJournal({ dir: './.checkpoints' });
 * await journal.append('order-1', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export function fileJournal(options: FileJournalOptions): FileJournal {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new CheckpointError('invalid-option', { adapter: NAME, detail: '`dir` must be a non-empty folder path' });
  }
  const root = options.dir;
  const now = options.now ?? Date.now;
  const publishState: PublishState = { linkUnsupported: false };
  const states = new Map<string, KeyState>();
  let fsModule: Promise<JournalFileSystem> | undefined;
  let disposed = false;

  const use = async (key: string): Promise<JournalFileSystem> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: NAME });
    checkKey(key, NAME);
    fsModule ??= options.fs
      ? Promise.resolve(options.fs)
      : import('node:fs/promises').then((m) => m as unknown as JournalFileSystem);
    return fsModule;
  };
  const stateOf = (key: string): KeyState => {
    let s = states.get(key);
    if (!s) {
      s = {
        chain: Promise.resolve(),
        verified: false,
        active: undefined,
        lastSeq: 0,
        lastEpoch: 0,
        lockEpoch: 0,
        rollNext: false,
        unflushed: [],
        flushing: undefined,
        writing: undefined,
        recovering: undefined,
        failed: undefined,
        lease: undefined,
      };
      states.set(key, s);
    }
    return s;
  };
  /** Runs calls for one key one after another, in call order. */
  const serial = <T>(key: string, fn: (s: KeyState) => Promise<T>): Promise<T> => {
    const s = stateOf(key);
    const result = s.chain.then(() => fn(s));
    s.chain = result.catch(noop);
    return result;
  };
  const keyDir = (key: string) => join(root, keyFolderName(key));
  const readNames = async (fs: JournalFileSystem, dir: string, key: string): Promise<string[]> => {
    try {
      return await fs.readdir(dir);
    } catch (error) {
      if (missing(error)) return [];
      throw fsError(error, key, 'list the key folder');
    }
  };

  /** Creates the root and key folders (durably) and the `key` file the file adapter keeps there. */
  const ensureDir = async (fs: JournalFileSystem, s: KeyState, key: string): Promise<string> => {
    const dir = keyDir(key);
    if (s.dir === dir) return dir;
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
    if (!(await readNames(fs, dir, key)).includes(KEY_FILE)) {
      await publishFile(fs, publishState, dir, join(dir, KEY_FILE), new TextEncoder().encode(key), key);
    }
    s.dir = dir;
    return dir;
  };

  /** A segment's bytes; `undefined` when another writer truncated it away since the listing. */
  const readSegment = async (fs: JournalFileSystem, path: string, key: string): Promise<Uint8Array | undefined> => {
    try {
      return await fs.readFile(path);
    } catch (error) {
      if (missing(error)) return undefined;
      throw fsError(error, key, 'read a journal segment');
    }
  };

  /** Whether every entry of the segment at `path` is at or below `uptoSeq` (a missing one is). */
  const coveredBy = async (fs: JournalFileSystem, path: string, key: string, uptoSeq: number) => {
    const bytes = await readSegment(fs, path, key);
    if (!bytes) return true;
    const scan = scanJournalFrames(bytes, uptoSeq);
    return scan.entries.length === 0 && scan.corrupt === undefined && scan.torn === undefined;
  };

  /** Scans segments in order; stops at the first damage. */
  const scanAll = async (
    fs: JournalFileSystem,
    dir: string,
    key: string,
    segments: readonly Segment[],
    afterSeq: number,
  ) => {
    const entries: JournalEntry[] = [];
    let lastSeq = 0;
    let lastEpoch = 0;
    // Every segment is read: a fenced writer's leftover segment can carry a later name than the one the lock
    // holder still appends to, so a name says nothing about which entries a segment holds. Truncation removes
    // covered segments, so what is read past is small.
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const bytes = await readSegment(fs, join(dir, segment.name), key);
      if (!bytes) continue;
      // One list across segments: a new owner's frame can supersede an older segment's tail.
      const scan: FrameScan = scanJournalFrames(bytes, afterSeq, lastSeq, lastEpoch, entries);
      lastSeq = scan.lastSeq;
      lastEpoch = scan.lastEpoch;
      const damage = scan.torn ?? scan.corrupt;
      if (damage) {
        const later = segments.slice(i + 1);
        // Damage followed by more segments hides entries: never a harmless torn tail.
        const torn = scan.torn !== undefined && later.length === 0;
        return {
          entries,
          lastSeq,
          lastEpoch,
          segment,
          end: scan.end,
          size: bytes.length,
          later,
          torn,
          reason: damage.reason,
        };
      }
      if (i === segments.length - 1)
        return { entries, lastSeq, lastEpoch, segment, end: scan.end, size: bytes.length, later: [] };
    }
    return { entries, lastSeq, lastEpoch, segment: undefined, end: 0, size: 0, later: [] as Segment[] };
  };

  /** Finds the last good entry, cuts a torn tail, sets damage aside, opens the last segment for appending. */
  const verify = async (fs: JournalFileSystem, s: KeyState, key: string, dir: string, names: readonly string[]) => {
    await s.active?.handle.close().catch(noop);
    s.active = undefined;
    const segments = segmentsOf(names);
    // Every segment is checked: damage in an older one would hide all later entries from readers.
    const scan = await scanAll(fs, dir, key, segments, Number.MAX_SAFE_INTEGER);
    if ('reason' in scan && scan.segment) {
      const path = join(dir, scan.segment.name);
      const stamp = `${now().toString(36)}-${randomBytes(4).toString('hex')}`;
      try {
        if (!scan.torn) {
          const bytes = await fs.readFile(path);
          await publishFile(fs, publishState, dir, `${path}.damaged-${stamp}`, bytes.subarray(scan.end), key);
          for (const later of scan.later)
            await fs.rename(join(dir, later.name), join(dir, `${later.name}.damaged-${stamp}`));
        }
        const handle = await fs.open(path, 'r+');
        try {
          await handle.truncate(scan.end);
          await handle.datasync();
        } finally {
          await handle.close().catch(noop);
        }
        await syncDir(fs, dir);
      } catch (error) {
        throw fsError(error, key, 'set a damaged journal part aside');
      }
    }
    s.lastSeq = scan.lastSeq;
    s.lastEpoch = scan.lastEpoch;
    const last = scan.segment;
    if (last) {
      const path = join(dir, last.name);
      try {
        s.active = { path, name: last.name, handle: await fs.open(path, 'a+'), size: scan.end };
      } catch (error) {
        throw fsError(error, key, 'open a journal segment');
      }
    }
    s.verified = true;
  };

  /**
   * Entries from `first` on in the last segment that a writer with a lower
   * epoch appended after this writer (holding lock `epoch`) restored: it never
   * saw them, so they came after the hand-over, and their writer's check after
   * the act refused them. They move aside as a `*.fenced-*` file (kept, like
   * damage) so the lock holder appends past nothing. False when any entry
   * there is this epoch's or newer, or spans segments: a real conflict.
   */
  const setAsideFenced = async (
    fs: JournalFileSystem,
    s: KeyState,
    key: string,
    dir: string,
    first: number,
    epoch: number,
  ): Promise<boolean> => {
    const active = s.active;
    if (!active) return false;
    const bytes = await fs.readFile(active.path).catch(() => undefined);
    if (!bytes) return false;
    const scan = scanJournalFrames(bytes, first - 1);
    const firstEntry = scan.entries[0];
    if (!firstEntry || scan.torn || scan.corrupt) return false;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const offsets = scan.entries.map((e) => e.bytes.byteOffset - bytes.byteOffset - FRAME_HEADER);
    if (offsets.some((at) => !(view.getFloat64(at + 12) < epoch))) return false;
    const from = offsets[0]!;
    try {
      const stamp = `${now().toString(36)}-${randomBytes(4).toString('hex')}`;
      await publishFile(fs, publishState, dir, `${active.path}.fenced-${stamp}`, bytes.subarray(from), key);
      await active.handle.truncate(from);
      await active.handle.datasync();
    } catch (error) {
      throw fsError(error, key, "set a fenced writer's journal entries aside");
    }
    return true;
  };

  /**
   * Cuts a failed append back off, unless the file grew past it: then another
   * writer appended meanwhile (this one is being fenced out) and cutting would
   * hit its entries; the next append lists and scans the tail again instead.
   */
  const cutBack = async (s: KeyState, active: Active, previous: number, length: number) => {
    const size = await active.handle.stat().then(
      (st) => st.size,
      () => Number.POSITIVE_INFINITY,
    );
    if (size <= previous + length) await active.handle.truncate(previous).catch(noop);
    else s.verified = false;
  };

  /**
   * One `write` + `fdatasync` of a group. The fencing check (a listing of the
   * key folder for a newer lock) runs beside the flush instead of before the
   * write or after the flush, so it adds no I/O to the group's path: it starts
   * once the bytes are in the file, so a new owner that took the lock after
   * the listing read them when it restored (and continues after them), and
   * one that took it before is in the listing (the group is not
   * acknowledged). Returns that check's failure, if any, for the caller to
   * throw once its state is updated: the bytes are durable either way.
   */
  const write = async (
    fs: JournalFileSystem,
    s: KeyState,
    active: Active,
    frames: Uint8Array,
    key: string,
    seq: number,
    epoch: number,
  ): Promise<CheckpointError | undefined> => {
    const previous = active.size;
    for (let attempt = 1; ; attempt++) {
      let step = 'append to the journal';
      let fence: Promise<CheckpointError | undefined> | undefined;
      try {
        await active.handle.writeFile(frames);
        step = 'fdatasync the journal';
        fence = confirmNotFenced({ fs, dir: dirname(active.path), key }, epoch, seq).then(
          () => undefined,
          (error: unknown) => fsError(error, key, 'check the lock after appending', seq),
        );
        await active.handle.datasync();
        active.size = previous + frames.length;
        return await fence;
      } catch (error) {
        const fenced = await fence;
        // Fenced: nothing of this writer's is acknowledged, and its frames are skipped by readers.
        if (fenced?.code === 'fenced') throw fenced;
        await cutBack(s, active, previous, frames.length);
        // After a failed flush the kernel may have dropped the pages: rewrite them once from memory.
        if (step === 'fdatasync the journal' && attempt === 1 && s.verified) continue;
        s.verified = false;
        throw fsError(error, key, step, seq);
      }
    }
  };

  const createSegment = async (
    fs: JournalFileSystem,
    s: KeyState,
    dir: string,
    key: string,
    firstSeq: number,
    frames: Uint8Array,
    epoch: number,
  ): Promise<void> => {
    const path = join(dir, segmentName(firstSeq));
    let handle: JournalFileHandle;
    try {
      handle = await fs.open(path, 'ax+');
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') {
        throw new CheckpointError('conflict', {
          key,
          adapter: NAME,
          seq: firstSeq,
          detail: `journal segment ${firstSeq} exists`,
        });
      }
      throw fsError(error, key, 'create a journal segment', firstSeq);
    }
    const active: Active = { path, name: segmentName(firstSeq), handle, size: 0 };
    try {
      // A fenced writer's new segment goes again (unless the owner appended to it, below):
      // a later name could hide the owner's entries.
      const fenced = await write(fs, s, active, frames, key, firstSeq, epoch);
      if (fenced) throw fenced;
      await syncDir(fs, dir);
    } catch (error) {
      // A file grown past these bytes has a new owner's entries after them: it read this
      // writer's and continues in this segment, so removing it would lose acknowledged ones.
      const size = await handle.stat().then(
        (st) => st.size,
        () => Number.POSITIVE_INFINITY,
      );
      await handle.close().catch(noop);
      if (size <= frames.length) await fs.unlink(path).catch(noop);
      throw fsError(error, key, 'create a journal segment', firstSeq);
    }
    const old = s.active;
    s.active = active;
    s.rollNext = false;
    await old?.handle.close().catch(noop);
  };

  /**
   * The slow path before an append: lists the key folder, re-reads the tail
   * when it is not known (first append, after a failure, a segment gone),
   * notes the lock epoch, and sets aside entries a fenced writer left after
   * the point this owner restored.
   */
  const learnTail = async (
    fs: JournalFileSystem,
    s: KeyState,
    key: string,
    dir: string,
    first: number,
    epoch: number,
  ): Promise<void> => {
    const names = await readNames(fs, dir, key);
    if (!s.verified || (s.active && !names.includes(s.active.name))) await verify(fs, s, key, dir, names);
    s.lockEpoch = lockEpoch(names);
    if (
      first <= s.lastSeq &&
      epoch === s.lockEpoch &&
      epoch >= s.lastEpoch &&
      (await setAsideFenced(fs, s, key, dir, first, epoch))
    ) {
      await verify(fs, s, key, dir, await readNames(fs, dir, key));
    }
  };

  /** Waits until every written group is flushed (or failed): before switching or re-reading segments. */
  const drain = async (s: KeyState): Promise<void> => {
    while (s.flushing) await s.flushing;
  };

  /** Fails `groups` and every later one: the next append must start again at the first of them. */
  const failFrom = (s: KeyState, groups: readonly Unflushed[], error: CheckpointError) => {
    s.verified = false;
    noteFailed(s, groups[0]!.first, groups[0]!.epoch, error);
    for (const g of groups) g.reject(error);
  };

  /**
   * After a failed flush the kernel may have dropped the pages, so a second
   * flush proves nothing: every unflushed group is rewritten once from memory
   * (writes wait meanwhile) and flushed again, or all of them fail and the
   * file is cut back to where the first began.
   */
  const recover = async (s: KeyState, active: Active, key: string, cause: unknown): Promise<void> => {
    let release: () => void = noop;
    s.recovering = new Promise<void>((resolve) => (release = resolve));
    try {
      await s.writing;
      const groups = s.unflushed.splice(0);
      if (groups.length === 0) return;
      const first = groups[0]!;
      const fenced = (await Promise.all(groups.map((g) => g.fence))).find((e) => e?.code === 'fenced');
      // Fenced: nothing is acknowledged, and readers skip these frames; no cutting under the new owner.
      if (fenced) return failFrom(s, groups, fenced);
      const frames = concat(groups.map((g) => g.frames));
      const size = await active.handle.stat().then(
        (st) => st.size,
        () => Number.POSITIVE_INFINITY,
      );
      if (size > first.start + frames.length) {
        // Someone appended past these groups: cutting would hit their entries.
        return failFrom(s, groups, fsError(cause, key, 'fdatasync the journal', first.first));
      }
      try {
        await active.handle.truncate(first.start);
        await active.handle.writeFile(frames);
        await active.handle.datasync();
      } catch (error) {
        await cutBack(s, active, first.start, frames.length);
        return failFrom(s, groups, fsError(error, key, 'fdatasync the journal', first.first));
      }
      active.size = first.start + frames.length;
      for (const g of groups) g.resolve();
    } finally {
      s.recovering = undefined;
      release();
    }
  };

  /**
   * Flushes the active segment while groups wait: each `fdatasync` covers
   * every group written before it started, and the groups written meanwhile
   * go with the next one, which starts as soon as this one returns. Groups
   * are acknowledged in file order once their fencing check is in too.
   */
  const flushLoop = async (s: KeyState, active: Active, key: string): Promise<void> => {
    try {
      while (s.unflushed.length > 0) {
        const count = s.unflushed.length;
        let failure: unknown;
        try {
          await active.handle.datasync();
        } catch (error) {
          failure = error ?? new Error('fdatasync failed');
        }
        if (failure !== undefined) {
          await recover(s, active, key, failure);
          continue;
        }
        const groups = s.unflushed.splice(0, count);
        for (let i = 0; i < groups.length; i++) {
          const fenced = await groups[i]!.fence;
          if (!fenced) {
            groups[i]!.resolve();
            continue;
          }
          // The check after the act: not acknowledged, and neither is anything after it.
          failFrom(s, [...groups.slice(i), ...s.unflushed.splice(0)], fenced);
          break;
        }
      }
    } finally {
      s.flushing = undefined;
    }
  };

  /**
   * Writes one group to the active segment and queues it for the flush loop;
   * returns its acknowledgement without waiting for it, so the next group can
   * be written while this one is flushed. The fencing check (a listing of the
   * key folder for a newer lock) starts once the bytes are in the file: a new
   * owner that took the lock after the listing read them when it restored
   * (and continues after them); one that took it before is in the listing,
   * and the group is not acknowledged.
   */
  const writeGroup = async (
    fs: JournalFileSystem,
    s: KeyState,
    key: string,
    frames: Uint8Array,
    first: number,
    epoch: number,
  ): Promise<{ durable: Promise<void> }> => {
    while (s.recovering) await s.recovering;
    const active = s.active!;
    const start = active.size;
    let done: () => void = noop;
    s.writing = new Promise<void>((resolve) => (done = resolve));
    try {
      try {
        await active.handle.writeFile(frames);
      } catch (error) {
        await cutBack(s, active, start, frames.length);
        s.verified = false;
        const failure = fsError(error, key, 'append to the journal', first);
        noteFailed(s, first, epoch, failure);
        throw failure;
      }
      active.size = start + frames.length;
      // Read after the write: a taker needs the lease expired, so it restores after these bytes.
      const held = s.lease !== undefined && s.lease.epoch === epoch && now() < s.lease.until;
      const fence = held
        ? Promise.resolve(undefined)
        : confirmNotFenced({ fs, dir: dirname(active.path), key }, epoch, first).then(
            () => undefined,
            (error: unknown) => fsError(error, key, 'check the lock after appending', first),
          );
      const durable = new Promise<void>((resolve, reject) => {
        s.unflushed.push({ first, epoch, start, frames, fence, resolve, reject });
      });
      s.flushing ??= flushLoop(s, active, key);
      return { durable };
    } finally {
      s.writing = undefined;
      done();
    }
  };

  /**
   * The part of an append after its order checks: learns the tail when it is
   * not known, refuses a fenced or repeated epoch/seq, then writes the group
   * (a new segment is durable before it returns; otherwise the returned
   * `durable` settles once the group is flushed).
   */
  const appendAfterTail = async (
    fs: JournalFileSystem,
    s: KeyState,
    key: string,
    entries: readonly JournalEntry[],
    epoch: number,
    last: number,
  ): Promise<{ durable?: Promise<void> }> => {
    const first = entries[0]!.seq;
    const dir = await ensureDir(fs, s, key);
    // The steady state lists nothing and stats nothing: the tail is what this journal
    // last wrote. The folder is read once per key, after a failure and per new segment.
    if (!s.verified || !s.active || s.rollNext) {
      await drain(s);
      await learnTail(fs, s, key, dir, first, epoch);
    }
    const current = Math.max(s.lockEpoch, s.lastEpoch);
    if (epoch < current) {
      throw new CheckpointError('fenced', {
        key,
        adapter: NAME,
        seq: first,
        detail: `epoch ${epoch} is older than the key's epoch ${current}`,
      });
    }
    if (first <= s.lastSeq) {
      throw new CheckpointError('conflict', {
        key,
        adapter: NAME,
        seq: first,
        detail: `journal entry ${s.lastSeq} already exists`,
      });
    }
    const frames = encodeJournalFrames(entries, epoch);
    if (!s.active || s.rollNext) {
      await createSegment(fs, s, dir, key, first, frames, epoch);
      s.lastSeq = last;
      s.lastEpoch = epoch;
      return {};
    }
    const written = await writeGroup(fs, s, key, frames, first, epoch);
    s.lastSeq = last;
    s.lastEpoch = epoch;
    return written;
  };

  const journal: FileJournal = {
    pipelined: true,
    append: (key, entries, epoch) =>
      use(key)
        .then((fs) =>
          serial(key, async (s): Promise<{ durable?: Promise<void> }> => {
            const last = checkJournalOrder(key, NAME, entries);
            if (!Number.isSafeInteger(epoch) || epoch < 0) {
              throw new CheckpointError('invalid-option', {
                key,
                adapter: NAME,
                detail: `epoch must be a non-negative integer, got ${epoch}`,
              });
            }
            if (entries.length === 0) return {};
            const first = entries[0]!.seq;
            const failed = s.failed;
            if (failed && epoch === failed.epoch && first !== failed.seq) {
              throw new CheckpointError('io', {
                key,
                adapter: NAME,
                seq: first,
                detail: `the append of entries from ${failed.seq} on failed; they are appended again first`,
              });
            }
            // The failed entries again, or a newer owner (it continues after what it restored).
            if (failed && epoch >= failed.epoch) s.failed = undefined;
            try {
              return await appendAfterTail(fs, s, key, entries, epoch, last);
            } catch (error) {
              // A group that failed before its bytes were written leaves a hole too: the groups
              // behind it are refused until it comes again (the pipelined contract).
              noteFailed(s, first, epoch, error);
              throw error;
            }
          }),
        )
        .then((written) => written.durable),
    read: (key, afterSeq) =>
      use(key).then((fs) =>
        serial(key, async (s): Promise<JournalReadResult> => {
          const dir = keyDir(key);
          const segments = segmentsOf(await readNames(fs, dir, key));
          const scan = await scanAll(fs, dir, key, segments, afterSeq);
          const entries = scan.entries;
          if (!('reason' in scan)) return { entries };
          s.verified = false;
          let byteLength = scan.size - scan.end;
          for (const later of scan.later) {
            byteLength += await fs.stat(join(dir, later.name)).then(
              (st) => st.size,
              () => 0,
            );
          }
          const damage: JournalDamage = { afterSeq: scan.lastSeq, byteLength, reason: scan.reason };
          return scan.torn ? { entries, torn: damage } : { entries, corrupt: damage };
        }),
      ),
    truncate: (key, uptoSeq) =>
      use(key).then((fs) =>
        serial(key, async (s) => {
          await drain(s);
          const dir = keyDir(key);
          const segments = segmentsOf(await readNames(fs, dir, key));
          let removed = false;
          for (let i = 0; i + 1 < segments.length; i++) {
            if (segments[i + 1]!.firstSeq > uptoSeq + 1) break;
            const path = join(dir, segments[i]!.name);
            // The names only suggest the segment is covered (a fenced writer's leftover can carry a later
            // name): it goes only when what it holds says so.
            if (!(await coveredBy(fs, path, key, uptoSeq))) break;
            if (s.active?.path === path) {
              await s.active.handle.close().catch(noop);
              s.active = undefined;
              s.verified = false;
            }
            await fs.unlink(path).catch((error: unknown) => {
              if (!missing(error)) throw fsError(error, key, 'remove a journal segment');
            });
            removed = true;
          }
          const last = segments[segments.length - 1];
          if (last && last.firstSeq <= uptoSeq) s.rollNext = true;
          // Not needed for safety (a segment coming back is read past), only to free the names for good.
          if (removed) await syncDir(fs, dir).catch(noop);
        }),
      ),
    trustLease(key, lease) {
      stateOf(key).lease = lease;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(
        [...states.values()].map(async (s) => {
          await s.chain.catch(noop);
          await drain(s);
          await s.active?.handle.close().catch(noop);
          s.active = undefined;
        }),
      );
    },
  };
  return journal;
}

/**
 * {@link fileAdapter} with its {@link fileJournal}: the file store for journal
 * mode. `dispose()` closes both.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistJournaled } from 'xstate-checkpoint/journal';
 * import { fileJournalAdapter } from 'xstate-checkpoint/adapters/fs-journal';
 *
 * const adapter = fileJournalAdapter({ dir: './.checkpoints' });
 * const persisted = await persistJournaled(createMachine({ id: 'order' }), { key: 'order-1', adapter, journal: true });
 * ```
 */
export function fileJournalAdapter(options: FileAdapterOptions & Pick<FileJournalOptions, 'fs'>): CheckpointAdapter {
  const files = fileAdapter(options);
  const clock = adapterClock(options);
  const journal = fileJournal({
    dir: options.dir,
    ...(options.fs ? { fs: options.fs } : {}),
    now: clock.now,
  });
  const acquire = files.acquire!.bind(files);
  return {
    ...files,
    journal,
    // The journal learns of the locks taken here, so appends under a live lock skip the
    // listing beside their flush: a lock without a lease is only taken over once this
    // process is dead, and one with a lease only once it expired (minus a margin for
    // clocks of other hosts on a shared folder). Any acquire or release forgets it first.
    async acquire(key, acquireOptions) {
      journal.trustLease(key, undefined);
      const asked = clock.now();
      const lease = await acquire(key, acquireOptions);
      const ttl = acquireOptions?.ttlMs;
      const until = ttl === undefined ? Number.POSITIVE_INFINITY : asked + ttl - Math.min(1000, ttl / 4);
      journal.trustLease(key, { epoch: lease.epoch, until });
      return {
        epoch: lease.epoch,
        release() {
          journal.trustLease(key, undefined);
          return lease.release();
        },
      };
    },
    async dispose() {
      const results = await Promise.allSettled([journal.dispose(), files.dispose()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw isCheckpointError(failed.reason) ? failed.reason : fsError(failed.reason, undefined, 'dispose');
    },
  };
}
