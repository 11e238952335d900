import * as nodeFs from 'node:fs/promises';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { isCheckpointError, type JournalEntry } from 'xstate-checkpoint';
import { persistJournaled, scanJournalFrames } from 'xstate-checkpoint/journal';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import {
  fileJournal,
  fileJournalAdapter,
  type JournalFileHandle,
  type JournalFileSystem,
} from 'xstate-checkpoint/adapters/fs-journal';

// Issue 12, journal side: the epoch was checked before the append's write and fdatasync.
// Writer A, paused inside fdatasync while B took the lock, acknowledged stale entries,
// and B's next append failed with `conflict` (the journal writer then halts).

let work = '';
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xsc-journal-fencing-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const entries = (from: number, to: number, tag: number): JournalEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, bytes: new Uint8Array([from + i, tag]) }));
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (!isCheckpointError(error)) throw error;
    return error.code;
  }
}

/** node:fs/promises whose next journal write or fdatasync waits at a gate once armed. */
function pausableFs(at: 'write' | 'datasync') {
  let gate: { reached: () => void; release: Promise<void> } | undefined;
  const fs: JournalFileSystem = {
    ...(nodeFs as unknown as JournalFileSystem),
    async open(path, flags) {
      const handle = (await nodeFs.open(path, flags)) as unknown as JournalFileHandle;
      if (!path.endsWith('.journal')) return handle;
      return {
        read: (...args) => handle.read(...args),
        sync: () => handle.sync(),
        close: () => handle.close(),
        async writeFile(data) {
          if (at === 'write') await waitAtGate();
          return handle.writeFile(data);
        },
        truncate: (length) => handle.truncate(length),
        stat: () => handle.stat(),
        async datasync() {
          if (at === 'datasync') await waitAtGate();
          return handle.datasync();
        },
      };
    },
  };
  const waitAtGate = async () => {
    const g = gate;
    if (!g) return;
    gate = undefined;
    g.reached();
    await g.release;
  };
  const pauseNext = () => {
    let release!: () => void;
    let reached!: () => void;
    const at = new Promise<void>((r) => (reached = r));
    gate = { reached, release: new Promise<void>((r) => (release = r)) };
    return { reached: at, release };
  };
  return { fs, pauseNext };
}

async function pausedAppend(at: 'write' | 'datasync', resumeBeforeB: boolean) {
  const dir = join(work, `store-${n++}`);
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const paused = pausableFs(at);
  const leaseA = await fileAdapter({ dir, now }).acquire!('k', { ttlMs: 1000 });
  const journalA = fileJournal({ dir, fs: paused.fs });
  await journalA.append('k', entries(1, 10, 1), leaseA.epoch);
  const pause = paused.pauseNext();
  const appendA = codeOf(journalA.append('k', entries(11, 12, 1), leaseA.epoch));
  await pause.reached; // A checked the epoch and stopped before its write (or its fdatasync).
  clock += 5000;
  const leaseB = await fileAdapter({ dir, now }).acquire!('k', { ttlMs: 60_000 });
  const journalB = fileJournal({ dir });
  // B restores what the journal holds now: it continues after the last entry it read.
  const restored = (await journalB.read('k', 0)).entries.map((e) => e.seq);
  const nextB = Math.max(0, ...restored) + 1;
  let resultA = '';
  if (resumeBeforeB) {
    pause.release();
    resultA = await appendA;
  }
  const appendB = await codeOf(journalB.append('k', entries(nextB, nextB + 2, 2), leaseB.epoch));
  if (!resumeBeforeB) {
    pause.release();
    resultA = await appendA;
  }
  const appendB2 = await codeOf(journalB.append('k', entries(nextB + 3, nextB + 3, 2), leaseB.epoch));
  const after = (await fileJournal({ dir }).read('k', 0)).entries.map((e) => [e.seq, e.bytes[1]]);
  const names = await readdir(join(dir, keyFolderName('k')));
  await journalA.dispose();
  await journalB.dispose();
  return { restored, appendA: resultA, appendB, appendB2, after, names };
}

describe('file journal fencing with a writer paused inside its append', () => {
  it('paused before its write, A resumes before B appends: A ends fenced, B appends past its entries, kept aside', async () => {
    const r = await pausedAppend('write', true);
    expect(r.appendA).toBe('fenced');
    expect(r.restored).toEqual(entries(1, 10, 1).map((e) => e.seq));
    expect(r.appendB).toBe('ok');
    expect(r.appendB2).toBe('ok');
    expect(r.after).toEqual([...entries(1, 10, 1).map((e) => [e.seq, 1]), [11, 2], [12, 2], [13, 2], [14, 2]]);
    expect(r.names.filter((name) => name.includes('.journal.fenced-'))).toHaveLength(1);
  });

  it('paused before its write, resumed after B appends: A ends fenced, its frames are skipped by readers', async () => {
    const r = await pausedAppend('write', false);
    expect(r.appendA).toBe('fenced');
    expect(r.appendB).toBe('ok');
    expect(r.appendB2).toBe('ok');
    expect(r.after).toEqual([...entries(1, 10, 1).map((e) => [e.seq, 1]), [11, 2], [12, 2], [13, 2], [14, 2]]);
  });

  // Paused inside fdatasync, A's bytes were in the file before B took the lock, so B restored
  // them and continues after them. The fencing check runs beside the flush (not after it), so
  // whether A acknowledges them depends on whether its listing ran before B's lock file: either
  // is correct, as long as what A acknowledges is in B's history.
  for (const resumeBeforeB of [true, false]) {
    it(`paused before its datasync, resumed ${resumeBeforeB ? 'before' : 'after'} B appends: what A acknowledges B keeps, B keeps appending`, async () => {
      const r = await pausedAppend('datasync', resumeBeforeB);
      expect(['ok', 'fenced']).toContain(r.appendA);
      expect(r.restored).toEqual(entries(1, 12, 1).map((e) => e.seq));
      expect(r.appendB).toBe('ok');
      expect(r.appendB2).toBe('ok');
      expect(r.after).toEqual([...entries(1, 12, 1).map((e) => [e.seq, 1]), [13, 2], [14, 2], [15, 2], [16, 2]]);
    });
  }
});

describe('a stale writer that keeps appending after a takeover', () => {
  const counter = createMachine({
    id: 'counter',
    context: { n: 0, by: [] as string[] },
    on: {
      ADD: { actions: assign(({ context, event }) => ({ n: context.n + 1, by: [...context.by, event.by] })) },
    },
  });
  type Add = { type: 'ADD'; by: string };
  const add = (by: string): Add => ({ type: 'ADD', by });

  it('its appends land in the file after the new owner’s, are not acknowledged, and the restore skips them', async () => {
    const dir = join(work, `store-${n++}`);
    let clock = 1_700_000_000_000;
    const now = () => clock;
    const options = { key: 'k', journal: { compactOnClose: false }, flushOnExit: false } as const;
    const adapterA = fileJournalAdapter({ dir, now });
    const a = await persistJournaled(counter, {
      ...options,
      adapter: adapterA,
      lock: { ttlMs: 1000 },
      onError: () => undefined,
    });
    for (let i = 0; i < 3; i++) await a.send(add('a'));
    // A's lease runs out (a long pause); B takes the key over and restores A's three events.
    clock += 5000;
    const adapterB = fileJournalAdapter({ dir, now });
    const b = await persistJournaled(counter, { ...options, adapter: adapterB, lock: { ttlMs: 60_000 } });
    expect(b.actor.getSnapshot().context.n).toBe(3);
    await Promise.all([b.send(add('b')), b.send(add('b'))]);
    // A does not know: with no listing per append its frames reach the file, after B's.
    expect(await codeOf(a.send(add('stale')))).toBe('fenced');
    await b.send(add('b'));
    const segment = (await readdir(join(dir, keyFolderName('k')))).find((name) => name.endsWith('.journal'))!;
    const bytes = new Uint8Array(await readFile(join(dir, keyFolderName('k'), segment)));
    const scan = scanJournalFrames(bytes, 0);
    expect(scan.stale).toBeGreaterThan(0);
    expect(scan.corrupt).toBeUndefined();
    b.actor.stop(); // a crash: the next owner replays the journal
    await adapterB.dispose();
    await a.close().catch(() => undefined);
    await adapterA.dispose();

    clock += 120_000;
    const adapterC = fileJournalAdapter({ dir, now });
    const c = await persistJournaled(counter, { ...options, adapter: adapterC, lock: true });
    expect(c.actor.getSnapshot().context.by).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    expect(c.restored.journal.corrupt).toBeUndefined();
    await c.close();
    await adapterC.dispose();
  });
});

describe('file journal under a lock this process holds', () => {
  const counter = createMachine({
    id: 'counter',
    context: { n: 0 },
    on: { INC: { actions: assign(({ context }) => ({ n: context.n + 1 })) } },
  });
  const listingFs = () => {
    const calls = { readdir: 0 };
    const fs: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      readdir: (path: string) => {
        calls.readdir++;
        return nodeFs.readdir(path);
      },
    };
    return { fs, calls };
  };

  it('appends without listing the folder while the lock cannot be taken over', async () => {
    const { fs, calls } = listingFs();
    const adapter = fileJournalAdapter({ dir: join(work, `store-${n++}`), fs });
    const p = await persistJournaled(counter, {
      key: 'k',
      adapter,
      lock: true,
      journal: { compactEvery: 1e9 },
      flushOnExit: false,
    });
    await p.send({ type: 'INC' }); // the first append learns the tail (one listing)
    const before = calls.readdir;
    for (let i = 0; i < 20; i++) await p.send({ type: 'INC' });
    expect(calls.readdir).toBe(before);
    await p.close();
    await adapter.dispose();
  });

  it('lists again once the lease may have expired, and a second lock on the same adapter fences the first', async () => {
    const { fs, calls } = listingFs();
    let clock = 1_700_000_000_000;
    const adapter = fileJournalAdapter({ dir: join(work, `store-${n++}`), fs, now: () => clock });
    const options = { key: 'k', adapter, journal: { compactEvery: 1e9 }, flushOnExit: false } as const;
    const a = await persistJournaled(counter, { ...options, lock: { ttlMs: 10_000 }, onError: () => undefined });
    await a.send({ type: 'INC' });
    let before = calls.readdir;
    await a.send({ type: 'INC' });
    expect(calls.readdir).toBe(before);
    clock += 9500; // within the margin before the lease ends: no longer trusted
    before = calls.readdir;
    await a.send({ type: 'INC' });
    expect(calls.readdir).toBeGreaterThan(before);
    // The same adapter takes the key again (a second owner in this process): A is fenced.
    const b = await persistJournaled(counter, { ...options, lock: true });
    expect(b.actor.getSnapshot().context.n).toBe(3);
    expect(await codeOf(a.send({ type: 'INC' }))).toBe('fenced');
    await b.send({ type: 'INC' });
    await b.close();
    await a.close().catch(() => undefined);
    await adapter.dispose();
    const c = await persistJournaled(counter, {
      key: 'k',
      adapter: fileJournalAdapter({ dir: join(work, `store-${n - 1}`) }),
    });
    expect(c.actor.getSnapshot().context.n).toBe(4);
    await c.close();
  });
});

describe('a new owner in the same process after the old one was fenced', () => {
  it('appends after what it restored, though the fenced writer’s entry it read failed its check', async () => {
    const dir = join(work, `store-${n++}`);
    let gate: { reached: () => void; release: Promise<void> } | undefined;
    const fs: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      async readdir(path: string) {
        const g = gate;
        gate = undefined;
        if (g) {
          g.reached();
          await g.release;
        }
        return nodeFs.readdir(path);
      },
    };
    // One journal for both writers, as one fileJournalAdapter serves every lock of its process.
    const journal = fileJournal({ dir, fs });
    await journal.append('k', entries(1, 10, 1), 1);
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      gate = { reached: resolve, release: new Promise<void>((r) => (release = r)) };
    });
    const appendA = codeOf(journal.append('k', entries(11, 11, 1), 1));
    await reached; // A's bytes are in the file; its check after the act waits
    // B takes the lock (epoch 2) and restores: it reads A's entry 11 and continues after it.
    await nodeFs.writeFile(join(dir, keyFolderName('k'), `lock-${String(2).padStart(16, '0')}`), '{}');
    const restored = (await journal.read('k', 0)).entries.map((e) => e.seq);
    expect(restored.at(-1)).toBe(11);
    release();
    expect(await appendA).toBe('fenced');
    expect(await codeOf(journal.append('k', entries(12, 13, 2), 2))).toBe('ok');
    expect((await fileJournal({ dir }).read('k', 0)).entries.map((e) => e.seq)).toEqual(
      Array.from({ length: 13 }, (_, i) => i + 1),
    );
    await journal.dispose();
  });
});

describe('a writer fenced while it creates a segment', () => {
  it('keeps what the new owner appended to that segment after reading it', async () => {
    const dir = join(work, `store-${n++}`);
    let armed = false;
    let gate: { reached: () => void; release: Promise<void> } | undefined;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      gate = { reached: resolve, release: new Promise<void>((r) => (release = r)) };
    });
    const fsA: JournalFileSystem = {
      ...(nodeFs as unknown as JournalFileSystem),
      async open(path, flags) {
        const handle = (await nodeFs.open(path, flags)) as unknown as JournalFileHandle;
        if (!path.endsWith('.journal')) return handle;
        return Object.assign(Object.create(handle) as JournalFileHandle, {
          async writeFile(data: Uint8Array) {
            await handle.writeFile(data);
            armed = true; // A's check after the act (the next listing) waits
          },
        });
      },
      async readdir(path: string) {
        if (armed && gate) {
          const g = gate;
          gate = undefined;
          g.reached();
          await g.release;
        }
        return nodeFs.readdir(path);
      },
    };
    const journalA = fileJournal({ dir, fs: fsA });
    const appendA = codeOf(journalA.append('k', entries(1, 3, 1), 1)); // a new segment
    await reached; // A's bytes are in the new segment; A stops before its listing
    // B takes the lock (A's lease expired meanwhile), restores A's entries and appends after them.
    await nodeFs.writeFile(join(dir, keyFolderName('k'), `lock-${String(2).padStart(16, '0')}`), '{}');
    const journalB = fileJournal({ dir });
    expect((await journalB.read('k', 0)).entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await codeOf(journalB.append('k', entries(4, 5, 2), 2))).toBe('ok'); // acknowledged
    release();
    expect(await appendA).toBe('fenced');
    expect((await fileJournal({ dir }).read('k', 0)).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    await journalA.dispose();
    await journalB.dispose();
  });
});
