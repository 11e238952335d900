import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JournalEntry } from 'xstate-checkpoint';
import { encodeJournalFrames } from 'xstate-checkpoint/journal';
import { keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { fileJournal } from 'xstate-checkpoint/adapters/fs-journal';

// A fenced writer that died between creating a new segment and removing it leaves a later-named
// segment behind, while the lock holder keeps appending to its earlier segment. Which segments a
// read may skip, or a truncate may delete, cannot be decided from the names alone.

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xsc-stale-segment-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const entries = (from: number, to: number): JournalEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, bytes: new Uint8Array([from + i]) }));

async function storeWithStaleSegment(name: string) {
  const dir = join(work, name);
  const owner = fileJournal({ dir });
  await owner.append('k', entries(1, 20), 2);
  // The fenced writer's leftover: a segment named after seq 21, holding one entry of its older epoch.
  const folder = join(dir, keyFolderName('k'));
  await writeFile(join(folder, `${'21'.padStart(16, '0')}.journal`), encodeJournalFrames(entries(21, 21), 1));
  await owner.append('k', entries(21, 39), 2);
  await owner.dispose();
  return { dir, folder };
}

it('a read after a position covered by the stale segment name still returns the owner’s later entries', async () => {
  const { dir } = await storeWithStaleSegment('read');
  const reader = fileJournal({ dir });
  try {
    const read = await reader.read('k', 30);
    expect(read.entries.map((e) => e.seq)).toEqual(entries(31, 39).map((e) => e.seq));
    expect(read.corrupt).toBeUndefined();
    const all = await reader.read('k', 0);
    expect(all.entries.map((e) => e.seq)).toEqual(entries(1, 39).map((e) => e.seq));
  } finally {
    await reader.dispose();
  }
});

it('a truncate keeps a segment that holds entries after the position, whatever the later names say', async () => {
  const { dir, folder } = await storeWithStaleSegment('truncate');
  const journal = fileJournal({ dir });
  try {
    await journal.truncate('k', 30);
    expect((await journal.read('k', 30)).entries.map((e) => e.seq)).toEqual(entries(31, 39).map((e) => e.seq));
    expect((await readdir(folder)).filter((f) => f.endsWith('.journal')).length).toBe(2);
  } finally {
    await journal.dispose();
  }
});
