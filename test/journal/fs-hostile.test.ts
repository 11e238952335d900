import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import { keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { fileJournalAdapter } from 'xstate-checkpoint/adapters/fs-journal';
import { encodeJournalFrames, persistJournaled } from 'xstate-checkpoint/journal';
import { counter } from '../helpers/counter.js';

// Regressions and one open finding of the redteam pass over the file journal.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xsc-journal-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Regression (redteam): with one fileJournalAdapter for the whole app (as the docs
// show), every key ever journaled kept its segment file open after its actor's
// close(), until dispose(): a service handling more orders than `ulimit -n` over
// its lifetime ran out of file descriptors.

/** Open file descriptors of this process pointing into `dir` (Linux: /proc/self/fd). */
function openIn(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      // closed between the listing and the read
    }
  }
  return n;
}

describe.runIf(process.platform === 'linux')('fileJournal release on close', () => {
  it('a closed journaled actor leaves no file open, and its key journals and restores again after', async () => {
    const store = join(dir, 'release');
    const adapter = fileJournalAdapter({ dir: store });
    for (let i = 0; i < 40; i++) {
      const p = await persistJournaled(counter, { key: `order-${i}`, adapter, flushOnExit: false });
      await p.send({ type: 'INC' });
      await p.close();
    }
    expect(openIn(store)).toBe(0);
    // The same key again, on the same adapter: the segment reopens where it ended.
    for (let round = 1; round <= 2; round++) {
      const p = await persistJournaled(counter, { key: 'order-7', adapter, flushOnExit: false });
      expect(p.actor.getSnapshot().context.count).toBe(round);
      await p.send({ type: 'INC' });
      await p.close();
    }
    expect(openIn(store)).toBe(0);
    await adapter.dispose();
    const fresh = fileJournalAdapter({ dir: store });
    const p = await persistJournaled(counter, { key: 'order-7', adapter: fresh, flushOnExit: false });
    expect(p.actor.getSnapshot().context.count).toBe(3);
    await p.close();
    await fresh.dispose();
  });
});

// Regression (redteam): a FIFO where a journal segment belongs hung the restore
// (and process.exit), a link to /dev/zero took the process down out of memory.
// Now each is a typed error, as a folder there already was. (The /dev/zero case
// is left out here: it reads to the 1 GiB cap before its too-large, too much
// memory for a shared test machine; test/fs/read-file.test.ts tests the cap.)

describe.runIf(process.platform !== 'win32')('a journal segment that is not a file', () => {
  const hostile: Record<string, (path: string) => void> = {
    fifo: (path) => execFileSync('mkfifo', [path]),
    folder: (path) => mkdirSync(path),
  };
  for (const [name, make] of Object.entries(hostile)) {
    it(`${name}: the restore rejects with a typed error, without a hang or a crash`, async () => {
      const store = join(dir, name);
      const first = await persistJournaled(counter, {
        key: 'k',
        adapter: fileJournalAdapter({ dir: store }),
        flushOnExit: false,
      });
      await first.send({ type: 'INC' });
      await first.close();
      const folder = join(store, keyFolderName('k'));
      expect(readdirSync(folder).some((n) => n.endsWith('.journal'))).toBe(true);
      make(join(folder, '0000000000000100.journal'));
      const adapter = fileJournalAdapter({ dir: store });
      const error: unknown = await persistJournaled(counter, { key: 'k', adapter, flushOnExit: false }).then(
        (p) => p.close(),
        (e: unknown) => e,
      );
      expect(isCheckpointError(error), String(error)).toBe(true);
      expect(['corrupt', 'too-large', 'io']).toContain((error as { code: string }).code);
      await adapter.dispose();
    }, 20_000);
  }
});

// A journal entry whose frame is sound (both CRCs match) but whose payload does not decode
// (written by a buggy or foreign writer) is damage like a bad checksum: replay stops before it,
// the restore reports it, the actor starts, the entry is set aside (kept) and appends go on after
// the last good entry. It used to make every restore of the key throw `decode`.

describe('a well-framed journal entry that does not decode', () => {
  it('is treated like a corrupt one: replay stops before it, it is reported and kept aside, the actor goes on', async () => {
    const store = join(dir, 'undecodable');
    const adapter = fileJournalAdapter({ dir: store });
    const first = await persistJournaled(counter, { key: 'k', adapter, flushOnExit: false });
    for (let i = 0; i < 3; i++) await first.send({ type: 'INC' });
    await first.close();
    const folder = join(store, keyFolderName('k'));
    const segment = readdirSync(folder)
      .filter((n) => n.endsWith('.journal'))
      .sort()
      .at(-1)!;
    // Entry 4, epoch 0, both checksums right; its payload is no codec's bytes. Entry 5 follows it.
    const bad = encodeJournalFrames(
      [
        { seq: 4, bytes: new Uint8Array([200, 1, 2]) },
        { seq: 5, bytes: new Uint8Array([200, 3]) },
      ],
      0,
    );
    appendFileSync(join(folder, segment), bad);
    const errors: Array<{ code: string; detail?: string | undefined }> = [];
    const again = await persistJournaled(counter, {
      key: 'k',
      adapter: fileJournalAdapter({ dir: store }),
      flushOnExit: false,
      onError: (e) => errors.push(e),
    });
    expect(again.actor.getSnapshot().context.count).toBe(3);
    expect(again.restored.journal).toMatchObject({
      lastSeq: 3,
      corrupt: { afterSeq: 3, byteLength: 2 + 3, reason: expect.stringContaining('entry 4 does not decode') },
    });
    expect(errors.map((e) => e.code)).toContain('corrupt');
    await again.send({ type: 'INC' });
    await again.send({ type: 'INC' });
    await again.close();
    // Kept, never deleted: the undecodable part sits aside in the key folder.
    expect(readdirSync(folder).filter((n) => n.includes('.damaged-'))).toHaveLength(1);
    const third = await persistJournaled(counter, {
      key: 'k',
      adapter: fileJournalAdapter({ dir: store }),
      flushOnExit: false,
    });
    expect(third.actor.getSnapshot().context.count).toBe(5);
    expect(third.restored.journal.corrupt).toBeUndefined();
    await third.close();
  });
});
