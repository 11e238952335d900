import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { buildChild } from '../crash/fs-build.js';
import { startChild } from './children.js';

const WRITERS = 3;
const WRITES = 150;
let work = '';
let entry = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xsc-fs-race-'));
  entry = await buildChild(join(work, 'build'));
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

interface Race {
  acks: Array<{ seq: number; crc: number }>;
  refused: string[];
}

/** Starts `WRITERS` processes together, each writing newest+1 `WRITES` times. */
async function race(mode: 'race' | 'race-naive', store: string): Promise<Race> {
  const children = await Promise.all(
    Array.from({ length: WRITERS }, (_, i) => startChild(entry, [mode, store, `w${i}`, String(WRITES)])),
  );
  for (const child of children) child.go();
  await Promise.all(children.map((c) => c.exited));
  const lines = children.flatMap((c) => c.lines);
  const acks = lines
    .filter((l) => l.startsWith('ack '))
    .map((l) => {
      const [, seq, crc] = l.split(' ');
      return { seq: Number(seq), crc: Number(crc) };
    });
  return { acks, refused: lines.filter((l) => l.startsWith('refused ')).map((l) => l.slice(8)) };
}

/** Acknowledged saves whose stored bytes are not the ones acknowledged: silently overwritten. */
async function overwritten(acks: Race['acks'], load: (seq: number) => Promise<Uint8Array | undefined>) {
  let count = 0;
  for (const ack of acks) {
    const bytes = await load(ack.seq);
    if (bytes === undefined || crc32(bytes) !== ack.crc) count++;
  }
  return count;
}

describe(`${WRITERS} processes writing one key at once`, () => {
  it('fileAdapter: 0 silent overwrites; losers get a typed conflict', async () => {
    const store = join(work, 'adapter');
    const { acks, refused } = await race('race', store);
    const reader = fileAdapter({ dir: store });
    const lost = await overwritten(acks, (seq) => reader.read('crash-key', seq));
    console.log(`race, fileAdapter: ${acks.length} acknowledged, ${refused.length} refused, ${lost} overwritten`);
    expect(acks.length + refused.length).toBe(WRITERS * WRITES);
    expect(lost).toBe(0);
    expect(new Set(acks.map((a) => a.seq)).size, 'each seq acknowledged once').toBe(acks.length);
    expect(new Set(refused)).toEqual(new Set(['conflict']));
    const stored = await reader.list('crash-key');
    expect(stored).toHaveLength(acks.length);
    for (const g of stored) expect(openEnvelope((await reader.read('crash-key', g.seq))!).header.seq).toBe(g.seq);
  }, 120_000);

  it('the same race through temp file + rename() loses acknowledged saves (proof the check can fail)', async () => {
    const store = join(work, 'naive');
    await mkdir(join(store, 'naive-race'), { recursive: true });
    const { acks } = await race('race-naive', store);
    const file = (seq: number) => join(store, 'naive-race', `${String(seq).padStart(16, '0')}.gen`);
    const lost = await overwritten(acks, (seq) => readFile(file(seq)).then((b) => new Uint8Array(b)));
    console.log(`race, rename(): ${acks.length} acknowledged, ${lost} silently overwritten`);
    expect(acks).toHaveLength(WRITERS * WRITES);
    expect(lost).toBeGreaterThan(0);
  }, 120_000);
});
