import { writeSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointAdapter, JournalEntry } from 'xstate-checkpoint';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { persistJournaled } from 'xstate-checkpoint/journal';
import { assign, createMachine } from 'xstate';
import {
  fileJournal,
  fileJournalAdapter,
  type FileJournal,
  type JournalFileHandle,
  type JournalFileSystem,
} from 'xstate-checkpoint/adapters/fs-journal';
import { codeOf } from '../helpers/errors.js';
import { manualClock } from '../helpers/manual-clock.js';

const entries = (from: number, to: number): JournalEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, bytes: new Uint8Array([from + i, 7, 7]) }));
const seqs = async (journal: FileJournal, after = 0) => (await journal.read('k', after)).entries.map((e) => e.seq);

/** node:fs/promises with switchable faults on journal segment handles. */
function faultyFs() {
  const faults = { datasync: 0, write: undefined as string | undefined, writtenBeforeFailure: 0 };
  const fs: JournalFileSystem = {
    ...(nodeFs as unknown as JournalFileSystem),
    async open(path, flags) {
      const handle = (await nodeFs.open(path, flags)) as unknown as JournalFileHandle;
      if (!path.endsWith('.journal')) return handle;
      return {
        read: (...args) => handle.read(...args),
        sync: () => handle.sync(),
        close: () => handle.close(),
        stat: () => handle.stat(),
        truncate: (n) => handle.truncate(n),
        async writeFile(data) {
          if (faults.write) {
            const code = faults.write;
            faults.write = undefined;
            // Part of the data reached the file before the failure, as with a full disk.
            await handle.writeFile(data.subarray(0, faults.writtenBeforeFailure));
            throw Object.assign(new Error(`${code}: injected`), { code });
          }
          await handle.writeFile(data);
        },
        async datasync() {
          if (faults.datasync > 0) {
            faults.datasync--;
            throw Object.assign(new Error('EIO: injected fsync failure'), { code: 'EIO' });
          }
          await handle.datasync();
        },
      };
    },
  };
  return { fs, faults };
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xsc-fs-journal-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));
const segmentFiles = async () =>
  (await readdir(join(dir, keyFolderName('k')))).filter((n) => n.includes('.journal')).sort();

describe('fs journal: failures while appending', () => {
  it('rewrites a group once from memory after a failed fdatasync, and stores it once', async () => {
    const { fs, faults } = faultyFs();
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 3), 0);
    faults.datasync = 1;
    await journal.append('k', entries(4, 6), 0);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await journal.read('k', 0)).torn).toBeUndefined();
    await journal.dispose();
  });

  it('fails after two failed fdatasyncs and cuts the file back: nothing half-written stays', async () => {
    const { fs, faults } = faultyFs();
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 3), 0);
    const [segment] = await segmentFiles();
    const size = (await stat(join(dir, keyFolderName('k'), segment!))).size;
    faults.datasync = 2;
    expect(await codeOf(journal.append('k', entries(4, 6), 0))).toBe('io');
    expect((await stat(join(dir, keyFolderName('k'), segment!))).size).toBe(size);
    const read = await journal.read('k', 0);
    expect(read.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(read.torn).toBeUndefined();
    // The same group goes through on retry.
    await journal.append('k', entries(4, 6), 0);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5, 6]);
    await journal.dispose();
  });

  it('maps a full disk to storage-full and removes the bytes that made it', async () => {
    const { fs, faults } = faultyFs();
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 2), 0);
    faults.write = 'ENOSPC';
    faults.writtenBeforeFailure = 17;
    expect(await codeOf(journal.append('k', entries(3, 5), 0))).toBe('storage-full');
    const read = await journal.read('k', 0);
    expect(read.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(read.torn).toBeUndefined();
    await journal.append('k', entries(3, 5), 0);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5]);
    await journal.dispose();
  });

  it('writes a group with writeSync while nothing is being flushed, and a full disk there is handled alike', async () => {
    const calls = { sync: 0, fail: false };
    const fs: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      writeSync(fd, buffer, offset, length) {
        calls.sync++;
        if (calls.fail) {
          calls.fail = false;
          // Part of the data reached the file before the failure, as with a full disk.
          writeSync(fd, buffer, offset, 17);
          throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
        }
        return writeSync(fd, buffer, offset, length);
      },
    };
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 2), 0); // a new segment: written through its handle
    await journal.append('k', entries(3, 3), 0);
    expect(calls.sync).toBe(1);
    calls.fail = true;
    expect(await codeOf(journal.append('k', entries(4, 6), 0))).toBe('storage-full');
    const read = await journal.read('k', 0);
    expect(read.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(read.torn).toBeUndefined();
    await journal.append('k', entries(4, 6), 0);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5, 6]);
    await journal.dispose();
    expect((await fileJournal({ dir }).read('k', 0)).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('fs journal: layout', () => {
  it('starts a new segment after a truncate and deletes whole covered segments later', async () => {
    const journal = fileJournal({ dir });
    await journal.append('k', entries(1, 5), 0);
    expect(await segmentFiles()).toEqual(['0000000000000001.journal']);
    await journal.truncate('k', 5);
    await journal.append('k', entries(6, 8), 0);
    expect(await segmentFiles()).toEqual(['0000000000000001.journal', '0000000000000006.journal']);
    await journal.truncate('k', 7);
    expect(await segmentFiles()).toEqual(['0000000000000006.journal']);
    expect(await seqs(journal, 7)).toEqual([8]);
    await journal.dispose();
  });

  it('truncates beside the appends: a group is acknowledged while a truncate reads a covered segment', async () => {
    let blocked = false;
    let reached: () => void = () => undefined;
    const reading = new Promise<void>((resolve) => (reached = resolve));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fs: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      async readFile(path) {
        if (blocked && path.endsWith('.journal')) {
          reached();
          await gate;
        }
        return nodeFs.readFile(path);
      },
    };
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 3), 0);
    await journal.truncate('k', 3);
    await journal.append('k', entries(4, 5), 0); // a new segment
    blocked = true;
    const truncated = journal.truncate('k', 5);
    await reading; // the truncate checks what segment 1 holds, and waits there
    await journal.append('k', entries(6, 6), 0);
    blocked = false;
    release();
    await truncated;
    expect(await segmentFiles()).toEqual(['0000000000000004.journal']);
    expect(await seqs(journal)).toEqual([4, 5, 6]);
    await journal.dispose();
  });

  it('writes the key file the file adapter keeps beside the generations', async () => {
    const journal = fileJournal({ dir });
    await journal.append('Order/1', entries(1, 1), 0);
    const folder = join(dir, keyFolderName('Order/1'));
    expect(new TextDecoder().decode(await nodeFs.readFile(join(folder, 'key')))).toBe('Order/1');
    await journal.dispose();
  });

  it('sets aside a damaged older segment part and every later segment, then appends after the last good entry', async () => {
    const journal = fileJournal({ dir });
    await journal.append('k', entries(1, 4), 0);
    await journal.truncate('k', 1);
    await journal.append('k', entries(5, 6), 0);
    await journal.dispose();
    // Damage entry 3 in the first segment.
    const first = join(dir, keyFolderName('k'), '0000000000000001.journal');
    const bytes = new Uint8Array(await nodeFs.readFile(first));
    const at = bytes.length - 2 * (28 + 3) + 28;
    bytes[at] = bytes[at]! ^ 0xff;
    await nodeFs.writeFile(first, bytes);

    const reopened = fileJournal({ dir });
    const read = await reopened.read('k', 0);
    expect(read.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(read.corrupt).toMatchObject({ afterSeq: 2 });
    await reopened.append('k', entries(3, 3), 0);
    expect(await seqs(reopened)).toEqual([1, 2, 3]);
    const names = (await readdir(join(dir, keyFolderName('k')))).sort();
    expect(names.filter((n) => n.includes('.damaged-'))).toHaveLength(2);
    await reopened.dispose();
  });
});

describe('fs journal: clock (issue 14)', () => {
  /** node:fs/promises counting the listings of the key folder (the fencing check beside a flush). */
  const countingFs = () => {
    const counts = { listings: 0 };
    const fs: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      readdir(path) {
        counts.listings++;
        return nodeFs.readdir(path);
      },
    };
    return { fs, counts };
  };
  /** Damages the last entry of the first segment but one, so the next append sets a part aside. */
  const damageSecondToLast = async () => {
    const first = join(dir, keyFolderName('k'), '0000000000000001.journal');
    const bytes = new Uint8Array(await nodeFs.readFile(first));
    const at = bytes.length - 2 * (28 + 3) + 28;
    bytes[at] = bytes[at]! ^ 0xff;
    await nodeFs.writeFile(first, bytes);
  };

  it('runs the trusted lease and the names of set-aside parts on the `clock` option (a fake clock here)', async () => {
    const clock = manualClock();
    const { fs, counts } = countingFs();
    const journal = fileJournal({ dir, fs, clock });
    await journal.append('k', entries(1, 1), 0);
    journal.trustLease('k', { epoch: 0, until: clock.now() + 1_000 });
    const listed = counts.listings;
    await journal.append('k', entries(2, 2), 0);
    expect(counts.listings).toBe(listed); // under the lease by the fake clock: no listing
    await clock.advance(1_000);
    await journal.append('k', entries(3, 3), 0);
    expect(counts.listings).toBe(listed + 1); // expired by the same clock: listed beside the flush
    await journal.dispose();

    await damageSecondToLast();
    await clock.advance(123_456);
    const reopened = fileJournal({ dir, clock });
    await reopened.append('k', entries(2, 2), 0);
    const names = await readdir(join(dir, keyFolderName('k')));
    const aside = names.filter((n) => n.includes('.damaged-'));
    expect(aside).toEqual([`0000000000000001.journal.damaged-${clock.now().toString(36)}-${aside[0]!.slice(-8)}`]);
    await reopened.dispose();
  });

  it('keeps the deprecated `now` option working as the clock’s now()', async () => {
    const at = 1_234_567;
    const journal = fileJournal({ dir, now: () => at });
    await journal.append('k', entries(1, 3), 0);
    journal.trustLease('k', { epoch: 0, until: at + 1 });
    await journal.dispose();
    await damageSecondToLast();
    const reopened = fileJournal({ dir, now: () => at });
    await reopened.append('k', entries(2, 2), 0);
    const names = await readdir(join(dir, keyFolderName('k')));
    expect(names.filter((n) => n.includes('.damaged-')).map((n) => n.split('-')[1])).toEqual([at.toString(36)]);
    await reopened.dispose();
  });

  it('fileJournalAdapter passes its `clock` to the journal (lease trust by the same fake clock)', async () => {
    const clock = manualClock();
    const { fs, counts } = countingFs();
    const adapter = fileJournalAdapter({ dir, fs, clock });
    const lease = await adapter.acquire!('k', { ttlMs: 10_000 });
    await adapter.journal!.append('k', entries(1, 1), lease.epoch); // the first append lists the folder
    const listed = counts.listings;
    await adapter.journal!.append('k', entries(2, 2), lease.epoch);
    expect(counts.listings).toBe(listed);
    await clock.advance(10_000);
    await adapter.journal!.append('k', entries(3, 3), lease.epoch);
    expect(counts.listings).toBe(listed + 1);
    await lease.release();
    await adapter.dispose();
  });
});

/** node:fs/promises whose journal fdatasyncs wait at a gate, counting writes and flushes. */
function gatedFs() {
  const counts = { writes: 0, datasyncs: 0, failNext: 0, failWrite: 0 };
  let gate: Promise<void> | undefined;
  let openGate: () => void = () => undefined;
  const fs: JournalFileSystem = {
    ...(nodeFs as unknown as JournalFileSystem),
    async open(path, flags) {
      const handle = (await nodeFs.open(path, flags)) as unknown as JournalFileHandle;
      if (!path.endsWith('.journal')) return handle;
      return {
        read: (...args) => handle.read(...args),
        sync: () => handle.sync(),
        close: () => handle.close(),
        stat: () => handle.stat(),
        truncate: (n) => handle.truncate(n),
        async writeFile(data) {
          counts.writes++;
          if (counts.failWrite > 0) {
            counts.failWrite--;
            throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
          }
          await handle.writeFile(data);
        },
        async datasync() {
          counts.datasyncs++;
          if (gate) await gate;
          if (counts.failNext > 0) {
            counts.failNext--;
            throw Object.assign(new Error('EIO: injected fsync failure'), { code: 'EIO' });
          }
          await handle.datasync();
        },
      };
    },
  };
  const hold = () => {
    gate = new Promise<void>((resolve) => (openGate = resolve));
  };
  const release = () => {
    gate = undefined;
    openGate();
  };
  return { fs, counts, hold, release };
}
const settled = (p: Promise<unknown>) => {
  const state = { done: false };
  void p.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
};
/** Waits (a few seconds at most) until `condition` holds. */
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(condition()).toBe(true);
};

describe('fs journal: pipelined appends', () => {
  it('writes the next group while the previous one is being flushed, and acknowledges both in order once durable', async () => {
    const { fs, counts, hold, release } = gatedFs();
    const journal = fileJournal({ dir, fs });
    expect(journal.pipelined).toBe(true);
    await journal.append('k', entries(1, 2), 0); // creates the segment
    hold();
    const order: number[] = [];
    const syncs = counts.datasyncs;
    const a = journal.append('k', entries(3, 4), 0).then(() => order.push(3));
    await until(() => counts.datasyncs === syncs + 1); // A's flush is held
    const writes = counts.writes;
    const b = journal.append('k', entries(5, 6), 0).then(() => order.push(5));
    const bState = settled(b);
    // B's bytes go to the file while A's fdatasync is still held; B is not acknowledged.
    await until(() => counts.writes === writes + 1);
    expect(counts.datasyncs).toBe(syncs + 1);
    expect(bState.done).toBe(false);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5, 6]);
    release();
    await Promise.all([a, b]);
    expect(order).toEqual([3, 5]);
    await journal.dispose();
  });

  it('a failed flush fails every group written behind it too, refuses appends past the hole, and takes the retry', async () => {
    const { fs, counts, hold, release } = gatedFs();
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 2), 0);
    hold();
    counts.failNext = 2; // the flush and the rewrite's flush both fail
    const syncs = counts.datasyncs;
    const a = codeOf(journal.append('k', entries(3, 4), 0));
    await until(() => counts.datasyncs === syncs + 1);
    const writes = counts.writes;
    const b = codeOf(journal.append('k', entries(5, 6), 0));
    await until(() => counts.writes === writes + 1);
    release();
    expect(await a).toBe('io');
    expect(await b).toBe('io');
    // A later group would leave a hole: refused until 3-4 come again.
    expect(await codeOf(journal.append('k', entries(7, 7), 0))).toBe('io');
    expect(await seqs(journal)).toEqual([1, 2]);
    await journal.append('k', entries(3, 6), 0);
    await journal.append('k', entries(7, 7), 0);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await journal.read('k', 0)).corrupt).toBeUndefined();
    await journal.dispose();
  });

  it('one failed flush rewrites every group waiting for it from memory, each stored once', async () => {
    const { fs, counts, hold, release } = gatedFs();
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 2), 0);
    hold();
    counts.failNext = 1;
    const syncs = counts.datasyncs;
    const a = journal.append('k', entries(3, 4), 0);
    await until(() => counts.datasyncs === syncs + 1);
    const writes = counts.writes;
    const b = journal.append('k', entries(5, 6), 0);
    await until(() => counts.writes === writes + 1);
    release();
    await Promise.all([a, b]);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5, 6]);
    await journal.dispose();
  });
});

describe('fs journal: a failure before the write', () => {
  it('refuses the appends behind a group that failed before its bytes were written (no hole)', async () => {
    let failReaddir = 0;
    const fs: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      async readdir(path) {
        if (failReaddir > 0) {
          failReaddir--;
          throw Object.assign(new Error('EMFILE: injected'), { code: 'EMFILE' });
        }
        return nodeFs.readdir(path);
      },
    };
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 2), 0);
    await journal.truncate('k', 2); // the next append starts a segment, after a listing
    failReaddir = 1;
    // Two groups in flight, as the journal writer sends them to a pipelined store.
    const a = codeOf(journal.append('k', entries(3, 4), 0));
    const b = codeOf(journal.append('k', entries(5, 6), 0));
    expect(await a).toBe('io');
    expect(await b).toBe('io');
    expect(await seqs(journal)).toEqual([1, 2]);
    await journal.append('k', entries(3, 6), 0);
    expect(await seqs(journal)).toEqual([1, 2, 3, 4, 5, 6]);
    await journal.dispose();
  });

  it('end to end: the journal writer retries both groups and every event is restored', async () => {
    let failReaddir = 0;
    const fs: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      async readdir(path) {
        if (failReaddir > 0) {
          failReaddir--;
          // Fails late, once the writer has handed the next group over too.
          await new Promise((resolve) => setTimeout(resolve, 30));
          throw Object.assign(new Error('EMFILE: injected'), { code: 'EMFILE' });
        }
        return nodeFs.readdir(path);
      },
    };
    const machine = createMachine({
      id: 'counter',
      context: { n: 0 },
      on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    const adapter = (): CheckpointAdapter => ({ ...fileAdapter({ dir }), journal: fileJournal({ dir, fs }) });
    const errors: string[] = [];
    const options = { key: 'k', journal: true, flushOnExit: false } as const;
    const setup = adapter();
    const p0 = await persistJournaled(machine, { ...options, adapter: setup });
    expect(await p0.send({ type: 'INC' })).toBe(1);
    await p0.close();
    await setup.dispose?.();
    // A clean restore appends at once: its first append lists the key folder.
    const first = adapter();
    const p = await persistJournaled(machine, {
      ...options,
      adapter: first,
      onError: (error) => errors.push(error.code),
    });
    failReaddir = 1;
    const a = p.send({ type: 'INC' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = p.send({ type: 'INC' });
    expect(await Promise.all([a, b])).toEqual([2, 3]);
    expect(errors).toEqual(['io']);
    await p.close();
    await first.dispose?.();
    const again = adapter();
    const q = await persistJournaled(machine, { ...options, adapter: again });
    expect(q.actor.getSnapshot().context.n).toBe(3);
    await q.close();
    await again.dispose?.();
  });
});

describe('fs journal: a group that fails while the one before it is being flushed', () => {
  it('the journal writer appends both again and every event is acknowledged and restored', async () => {
    const { fs, counts, hold, release } = gatedFs();
    const machine = createMachine({
      id: 'counter',
      context: { n: 0 },
      on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    const adapter = (): CheckpointAdapter => ({ ...fileAdapter({ dir }), journal: fileJournal({ dir, fs }) });
    const options = { key: 'k', journal: true, flushOnExit: false } as const;
    const errors: string[] = [];
    const first = adapter();
    const p = await persistJournaled(machine, { ...options, adapter: first, onError: (e) => errors.push(e.code) });
    expect(await p.send({ type: 'INC' })).toBe(1);
    hold();
    const syncs = counts.datasyncs;
    const a = p.send({ type: 'INC' });
    await until(() => counts.datasyncs === syncs + 1); // A's flush is held
    counts.failWrite = 1; // B's write fails at once (a full disk), before A is durable
    const writes = counts.writes;
    const b = p.send({ type: 'INC' });
    await until(() => counts.writes === writes + 1);
    release();
    const timeout = new Promise((resolve) => setTimeout(() => resolve('stuck'), 3000));
    expect(await Promise.race([Promise.all([a, b]), timeout])).toEqual([2, 3]);
    expect(errors[0]).toBe('storage-full');
    await p.close();
    await first.dispose?.();
    const again = adapter();
    const q = await persistJournaled(machine, { ...options, adapter: again });
    expect(q.actor.getSnapshot().context.n).toBe(3);
    await q.close();
    await again.dispose?.();
  });
});
