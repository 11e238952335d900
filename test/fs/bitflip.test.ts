import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointAdapter, CheckpointRecord } from 'xstate-checkpoint';
import { isCheckpointError } from 'xstate-checkpoint';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';

const KEY = 'flip';

function envelope(seq: number): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify({ seq, state: 'paid', n: [1, 2, 3] }));
  return encodeEnvelope(
    { machine: 'order', version: 2, seq, epoch: 0, createdAt: 1_700_000_000_000, codec: 'json' },
    payload,
  );
}
const record = (seq: number): CheckpointRecord => {
  const bytes = envelope(seq);
  return { seq, epoch: 0, createdAt: 1_700_000_000_000, byteLength: bytes.length, bytes };
};
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

function isDetected(bytes: Uint8Array): boolean {
  try {
    openEnvelope(bytes);
    return false;
  } catch (error) {
    if (isCheckpointError(error) && error.code === 'corrupt') return true;
    throw error;
  }
}

describe('openEnvelope on a damaged small checkpoint', () => {
  const original = envelope(1);

  it('detects a single-bit flip at every bit of every byte', () => {
    let flips = 0;
    const missed: string[] = [];
    for (let i = 0; i < original.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = original.slice();
        damaged[i]! ^= 1 << bit;
        flips++;
        if (!isDetected(damaged)) missed.push(`byte ${i} bit ${bit}`);
      }
    }
    expect(flips).toBe(original.length * 8);
    expect(missed).toEqual([]);
  });

  it('detects truncation at every length', () => {
    for (let length = 0; length < original.length; length++) {
      expect(isDetected(original.subarray(0, length)), `truncated to ${length} bytes`).toBe(true);
    }
  });
});

describe('fileAdapter: a damaged newest generation falls back to the previous one and is quarantined', () => {
  let dir = '';
  let adapter: CheckpointAdapter;
  let file = '';
  let stored = new Uint8Array();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xsc-fs-bitflip-'));
    adapter = fileAdapter({ dir });
    await adapter.write(KEY, record(1));
    await adapter.write(KEY, record(2));
    file = join(dir, keyFolderName(KEY), '0000000000000002.gen');
    stored = new Uint8Array(await readFile(file));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** What persistActor's restore does: newest first, verify, quarantine what fails, fall back. */
  async function restore(): Promise<{ seq: number; bytes: Uint8Array } | undefined> {
    for (const g of await adapter.list(KEY)) {
      const bytes = (await adapter.read(KEY, g.seq))!;
      try {
        if (openEnvelope(bytes).header.seq === g.seq) return { seq: g.seq, bytes };
      } catch (error) {
        if (!isCheckpointError(error)) throw error;
      }
      await adapter.quarantine(KEY, g.seq, 'corrupt');
    }
    return undefined;
  }

  /** Stores `damaged` as generation 2, restores, checks the outcome, and cleans the quarantine. */
  async function check(damaged: Uint8Array, what: string): Promise<'fallback' | 'intact'> {
    await writeFile(file, damaged);
    const restored = await restore();
    const quarantined = await adapter.listQuarantine(KEY);
    for (const q of quarantined) await adapter.deleteQuarantined(KEY, q.id);
    if (restored?.seq === 2) {
      // Only possible when the damage hit the adapter's own 40-byte header, never the envelope.
      expect(same(restored.bytes, record(2).bytes), `${what}: restored bytes`).toBe(true);
      expect(quarantined, what).toEqual([]);
      return 'intact';
    }
    expect(restored?.seq, `${what}: falls back to generation 1`).toBe(1);
    expect(same(restored?.bytes, record(1).bytes), what).toBe(true);
    expect(
      quarantined.map((q) => q.seq),
      `${what}: quarantined`,
    ).toEqual([2]);
    return 'fallback';
  }

  it('flips one bit in every byte of the stored file', async () => {
    const envelopeStart = stored.length - record(2).bytes.length;
    expect(envelopeStart).toBe(40);
    let fallbacks = 0;
    for (let i = 0; i < stored.length; i++) {
      const damaged = stored.slice();
      damaged[i]! ^= 1 << (i % 8);
      const outcome = await check(damaged, `flip in byte ${i}`);
      if (i >= envelopeStart) expect(outcome, `flip in envelope byte ${i - envelopeStart}`).toBe('fallback');
      if (outcome === 'fallback') fallbacks++;
    }
    expect(fallbacks).toBeGreaterThanOrEqual(stored.length - envelopeStart);
  });

  it('truncates the stored file at every length', async () => {
    for (let length = 0; length < stored.length; length++) {
      expect(await check(stored.subarray(0, length), `truncated to ${length}`)).toBe('fallback');
    }
  });
});
