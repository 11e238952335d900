import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { fileJournalAdapter } from 'xstate-checkpoint/adapters/fs-journal';
import { persistJournaled } from 'xstate-checkpoint/journal';

// Regression (redteam): with one fileJournalAdapter for the whole app (as the docs
// show), every key ever journaled kept its segment file open after its actor's
// close(), until dispose(): a service handling more orders than `ulimit -n` over
// its lifetime ran out of file descriptors.

const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

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

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xsc-journal-release-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('fileJournal release on close', () => {
  it('a closed journaled actor leaves no file open, and its key journals and restores again after', async () => {
    const adapter = fileJournalAdapter({ dir });
    for (let i = 0; i < 40; i++) {
      const p = await persistJournaled(counter, { key: `order-${i}`, adapter, flushOnExit: false });
      await p.send({ type: 'INC' });
      await p.close();
    }
    expect(openIn(dir)).toBe(0);
    // The same key again, on the same adapter: the segment reopens where it ended.
    for (let round = 1; round <= 2; round++) {
      const p = await persistJournaled(counter, { key: 'order-7', adapter, flushOnExit: false });
      expect(p.actor.getSnapshot().context.count).toBe(round);
      await p.send({ type: 'INC' });
      await p.close();
    }
    expect(openIn(dir)).toBe(0);
    await adapter.dispose();
    const fresh = fileJournalAdapter({ dir });
    const p = await persistJournaled(counter, { key: 'order-7', adapter: fresh, flushOnExit: false });
    expect(p.actor.getSnapshot().context.count).toBe(3);
    await p.close();
    await fresh.dispose();
  });
});
