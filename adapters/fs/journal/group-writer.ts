import { dirname } from 'node:path';
import { CheckpointError } from '../../../src/errors.js';
import { fsError } from '../durable.js';
import { confirmNotFenced } from '../lock.js';
import { NAME, noop, noteFailed, type Active, type JournalIo, type KeyState, type Unflushed } from './state.js';

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

/**
 * Cuts a failed append back off, unless the file grew past it: then another
 * writer appended meanwhile (this one is being fenced out) and cutting would
 * hit its entries; the next append lists and scans the tail again instead.
 *
 * @example
 * ```ts
 * await cutBack(s, active, start, frames.length);
 * ```
 */
export async function cutBack(s: KeyState, active: Active, previous: number, length: number): Promise<void> {
  const size = await active.handle.stat().then(
    (st) => st.size,
    () => Number.POSITIVE_INFINITY,
  );
  if (size <= previous + length) await active.handle.truncate(previous).catch(noop);
  else s.verified = false;
}

/**
 * Waits until every written group is flushed (or failed): before switching or re-reading segments.
 *
 * @example
 * ```ts
 * await drain(s);
 * ```
 */
export async function drain(s: KeyState): Promise<void> {
  while (s.flushing) await s.flushing;
}

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
        failure = error ?? new CheckpointError('io', { key, adapter: NAME, detail: 'fdatasync failed' });
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
 * Writes a group's frames at the end of the active segment: at once through
 * the file system's `writeSync` while nothing of the segment is being flushed
 * (no page of it is under writeback, so the copy into the page cache never
 * waits for the disk, and the flush starts without a round trip), else
 * through the thread pool.
 */
async function writeFrames(io: JournalIo, s: KeyState, active: Active, frames: Uint8Array, key: string) {
  const { writeSync } = io.fs;
  const fd = active.handle.fd;
  if (writeSync === undefined || typeof fd !== 'number' || s.flushing !== undefined) {
    return active.handle.writeFile(frames);
  }
  for (let at = 0; at < frames.length;) {
    const wrote = writeSync(fd, frames, at, frames.length - at);
    if (!(wrote > 0))
      throw new CheckpointError('io', { key, adapter: NAME, detail: 'a journal write made no progress' });
    at += wrote;
  }
}

/**
 * Writes one group to the active segment and queues it for the flush loop;
 * returns its acknowledgement without waiting for it, so the next group can
 * be written while this one is flushed. The fencing check (a listing of the
 * key folder for a newer lock) starts once the bytes are in the file: a new
 * owner that took the lock after the listing read them when it restored
 * (and continues after them); one that took it before is in the listing,
 * and the group is not acknowledged. Under a live lease (see
 * `FileJournal.trustLease`) the check is skipped.
 *
 * @example
 * ```ts
 * const { durable } = await writeGroup(io, s, 'order-1', encodeJournalFrames(entries, 4), 31, 4);
 * await durable;
 * ```
 */
export async function writeGroup(
  io: JournalIo,
  s: KeyState,
  key: string,
  frames: Uint8Array,
  first: number,
  epoch: number,
): Promise<{ durable: Promise<void> }> {
  while (s.recovering) await s.recovering;
  const active = s.active!;
  const start = active.size;
  let done: () => void = noop;
  s.writing = new Promise<void>((resolve) => (done = resolve));
  try {
    try {
      await writeFrames(io, s, active, frames, key);
    } catch (error) {
      await cutBack(s, active, start, frames.length);
      s.verified = false;
      const failure = fsError(error, key, 'append to the journal', first);
      noteFailed(s, first, epoch, failure);
      throw failure;
    }
    active.size = start + frames.length;
    // Read after the write: a taker needs the lease expired, so it restores after these bytes.
    const held = s.lease !== undefined && s.lease.epoch === epoch && io.clock.now() < s.lease.until;
    const fence = held
      ? Promise.resolve(undefined)
      : confirmNotFenced({ fs: io.fs, dir: dirname(active.path), key }, epoch, first).then(
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
}
