import { FRAME_HEADER, encodeJournalFrames, scanJournalFrames } from 'xstate-checkpoint/journal';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'xstate-checkpoint/adapters/memory';
import { runJournalConformance } from '../conformance/suite.js';

let store: MemoryStore = createMemoryStore();
const keyState = (key: string) => store.keys.get(key)!;

runJournalConformance('memory', {
  create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
  reopen: () => memoryAdapter({ store }),
  tearTail: (key) => {
    // A crash mid-append leaves the first bytes of a frame behind.
    const frame = encodeJournalFrames([{ seq: 99, bytes: new Uint8Array(40).fill(3) }], 0);
    keyState(key).journal.push(frame.slice(0, FRAME_HEADER + 10));
  },
  corruptEntry: (key, seq) => {
    const s = keyState(key);
    for (const chunk of s.journal) {
      const hit = scanJournalFrames(chunk, seq - 1).entries.find((e) => e.seq === seq);
      if (hit) {
        hit.bytes[0] = hit.bytes[0]! ^ 0xff;
        return;
      }
    }
    throw new Error(`entry ${seq} not found`);
  },
  setAside: (key) => keyState(key).journalAside.reduce((n, c) => n + c.length, 0),
});
