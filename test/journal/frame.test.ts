import { describe, expect, it } from 'vitest';
import { encodeJournalFrames, scanJournalFrames, type JournalEntry } from 'xstate-checkpoint/journal';

// The reader's fencing rules: a stale writer's frames (an older epoch) are skipped or
// superseded, so writers need no I/O per append to keep them out of a restore.
const run = (from: number, to: number, tag: number): JournalEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, bytes: new Uint8Array([tag]) }));
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const seen = (bytes: Uint8Array, after = 0) =>
  scanJournalFrames(bytes, after).entries.map((e) => [e.seq, e.bytes[0]] as const);

describe('journal frames: epochs', () => {
  it('skips frames of an older epoch that follow a newer one', () => {
    const bytes = join(
      encodeJournalFrames(run(1, 3, 1), 1),
      encodeJournalFrames(run(4, 5, 2), 2),
      encodeJournalFrames(run(4, 6, 9), 1), // the fenced writer, after the takeover
      encodeJournalFrames(run(6, 6, 2), 2),
    );
    const scan = scanJournalFrames(bytes, 0);
    expect(seen(bytes)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
      [5, 2],
      [6, 2],
    ]);
    expect(scan.stale).toBe(3);
    expect(scan.corrupt).toBeUndefined();
    expect([scan.lastSeq, scan.lastEpoch]).toEqual([6, 2]);
  });

  it("a newer epoch repeating a seq supersedes the older epoch's entries from there on", () => {
    // The new owner restored 1-3; the old one appended 4-5 after that; the new one continues at 4.
    const bytes = join(encodeJournalFrames(run(1, 5, 1), 1), encodeJournalFrames(run(4, 4, 2), 2));
    expect(seen(bytes)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
    ]);
    expect(scanJournalFrames(bytes, 0).stale).toBe(2);
    expect(seen(bytes, 3)).toEqual([[4, 2]]);
  });

  it('supersedes across segments when the scans share one entry list', () => {
    const older = encodeJournalFrames(run(1, 5, 1), 1);
    const newer = encodeJournalFrames(run(3, 4, 2), 2);
    const entries: JournalEntry[] = [];
    const first = scanJournalFrames(older, 0, 0, 0, entries);
    scanJournalFrames(newer, 0, first.lastSeq, first.lastEpoch, entries);
    expect(entries.map((e) => [e.seq, e.bytes[0]])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
    ]);
  });

  it('a repeated seq within one epoch is still corruption, and journals of one epoch read as before', () => {
    const bytes = join(encodeJournalFrames(run(1, 3, 1), 1), encodeJournalFrames(run(3, 3, 1), 1));
    const scan = scanJournalFrames(bytes, 0);
    expect(scan.corrupt?.reason).toMatch(/does not follow/);
    expect(scan.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    const plain = encodeJournalFrames(run(1, 50, 7), 0);
    expect(scanJournalFrames(plain, 10)).toMatchObject({ lastSeq: 50, lastEpoch: 0, stale: 0, end: plain.length });
  });
});
