import * as nodeFs from 'node:fs/promises';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCheckpointError, type JournalEntry } from 'xstate-checkpoint';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { fileJournal, type JournalFileHandle, type JournalFileSystem } from 'xstate-checkpoint/adapters/fs-journal';

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
  if (resumeBeforeB) {
    pause.release();
    expect(await appendA).toBe('fenced');
  }
  const appendB = await codeOf(journalB.append('k', entries(nextB, nextB + 2, 2), leaseB.epoch));
  if (!resumeBeforeB) {
    pause.release();
    expect(await appendA).toBe('fenced');
  }
  const appendB2 = await codeOf(journalB.append('k', entries(nextB + 3, nextB + 3, 2), leaseB.epoch));
  const after = (await fileJournal({ dir }).read('k', 0)).entries.map((e) => [e.seq, e.bytes[1]]);
  const names = await readdir(join(dir, keyFolderName('k')));
  await journalA.dispose();
  await journalB.dispose();
  return { restored, appendB, appendB2, after, names };
}

describe('file journal fencing with a writer paused inside its append', () => {
  it('paused before its write, A resumes before B appends: A ends fenced, B appends past its entries, kept aside', async () => {
    const r = await pausedAppend('write', true);
    expect(r.restored).toEqual(entries(1, 10, 1).map((e) => e.seq));
    expect(r.appendB).toBe('ok');
    expect(r.appendB2).toBe('ok');
    expect(r.after).toEqual([...entries(1, 10, 1).map((e) => [e.seq, 1]), [11, 2], [12, 2], [13, 2], [14, 2]]);
    expect(r.names.filter((name) => name.includes('.journal.fenced-'))).toHaveLength(1);
  });

  for (const [at, resumeBeforeB] of [
    ['write', false],
    ['datasync', true],
    ['datasync', false],
  ] as const) {
    it(`paused before its ${at}, resumed ${resumeBeforeB ? 'before' : 'after'} B appends: A ends fenced, B keeps appending`, async () => {
      const r = await pausedAppend(at, resumeBeforeB);
      expect(r.appendB).toBe('ok');
      expect(r.appendB2).toBe('ok');
      expect(r.after.slice(-4).map(([, tag]) => tag)).toEqual([2, 2, 2, 2]);
    });
  }
});
