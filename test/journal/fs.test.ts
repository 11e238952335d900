import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_HEADER, encodeJournalFrames, scanJournalFrames } from 'xstate-checkpoint/journal';
import { keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { fileJournalAdapter } from 'xstate-checkpoint/adapters/fs-journal';
import { runAdapterConformance, runJournalConformance } from '../conformance/suite.js';

let dir = '';
const keyDir = (key: string) => join(dir, keyFolderName(key));
const segments = async (key: string) => (await readdir(keyDir(key))).filter((n) => n.endsWith('.journal')).sort();

runJournalConformance('fs', {
  create: async () => {
    dir = await mkdtemp(join(tmpdir(), 'xsc-journal-'));
    return fileJournalAdapter({ dir });
  },
  reopen: () => fileJournalAdapter({ dir }),
  tearTail: async (key) => {
    // What a process killed in the middle of write(2) leaves: the first bytes of its frames.
    const frame = encodeJournalFrames([{ seq: 99, bytes: new Uint8Array(64).fill(5) }], 0);
    const last = (await segments(key)).at(-1)!;
    await appendFile(join(keyDir(key), last), frame.subarray(0, FRAME_HEADER + 9));
  },
  corruptEntry: async (key, seq) => {
    for (const name of await segments(key)) {
      const path = join(keyDir(key), name);
      const bytes = new Uint8Array(await readFile(path));
      const hit = scanJournalFrames(bytes, seq - 1).entries.find((e) => e.seq === seq);
      if (!hit) continue;
      bytes[hit.bytes.byteOffset + 1] = bytes[hit.bytes.byteOffset + 1]! ^ 0x10;
      await writeFile(path, bytes);
      return;
    }
    throw new Error(`entry ${seq} not found`);
  },
  setAside: async (key) => {
    let total = 0;
    for (const name of await readdir(keyDir(key))) {
      if (name.includes('.damaged-')) total += (await stat(join(keyDir(key), name))).size;
    }
    return total;
  },
  cleanup: () => rm(dir, { recursive: true, force: true }),
});

// The journal rides on the file adapter: the combined adapter still passes the whole adapter contract.
let plainDir = '';
runAdapterConformance('fs (fileJournalAdapter)', [fileJournalAdapter], {
  create: async () => {
    plainDir = await mkdtemp(join(tmpdir(), 'xsc-journal-adapter-'));
    return fileJournalAdapter({ dir: plainDir });
  },
  createPeer: () => fileJournalAdapter({ dir: plainDir }),
  cleanup: () => rm(plainDir, { recursive: true, force: true }),
});
