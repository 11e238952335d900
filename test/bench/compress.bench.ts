import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { taggedJsonCodec } from 'xstate-checkpoint';
import { sealEnvelope } from 'xstate-checkpoint/adapter-kit';
import { decodeCheckpoint } from 'xstate-checkpoint/pipeline';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { snapshot } from './snapshots.js';

// Compression of large checkpoints (compress: { above: 0 }) against none, for rich
// snapshots of about 100 KB and 1 MB, in the same run with interleaved rounds:
//   bytes stored (the envelope)
//   save in memory: taggedJsonCodec.encode + sealEnvelope (the CPU cost)
//   save durable: the same + fileAdapter.write (temp file, fsync, link, folder fsync)
//   restore: decodeCheckpoint (verify, inflate, decode)
// Writes test/.tmp/bench/compress.json.
// Run: npx vitest bench --run --project node test/bench/compress.bench.ts

const SIZES = [
  { label: '100 KB', bytes: 100 * 1024 },
  { label: '1 MB', bytes: 1024 * 1024 },
] as const;
const ROUNDS = 9;
const FIELDS = { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: 0, codec: taggedJsonCodec.id };
const MODES = { plain: false, gzip: { above: 0 } } as const;
type Mode = keyof typeof MODES;

const dir = mkdtempSync(join(tmpdir(), 'xsc-compress-bench-'));
const adapter = fileAdapter({ dir });
let seq = 0;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median and fastest-round ms per call of each task, in interleaved rounds (one warm-up round first). */
async function measure(
  tasks: Record<string, () => Promise<unknown>>,
  reps: number,
): Promise<Record<string, { median: number; min: number }>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((n) => [n, []]));
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, task] of Object.entries(tasks)) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) await task();
      if (round >= 0) times[name]!.push((performance.now() - t0) / reps);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([n, xs]) => [n, { median: median(xs), min: Math.min(...xs) }]));
}

async function rowsFor(label: string, bytes: number) {
  const snap = { snapshot: snapshot(bytes, 'rich'), timers: [] };
  const envelope: Record<Mode, Uint8Array> = {
    plain: await sealEnvelope(FIELDS, taggedJsonCodec.encode(snap), MODES.plain),
    gzip: await sealEnvelope(FIELDS, taggedJsonCodec.encode(snap), MODES.gzip),
  };
  const key = `k-${label.replace(' ', '')}`;
  const save = (mode: Mode) => () => sealEnvelope(FIELDS, taggedJsonCodec.encode(snap), MODES[mode]);
  const durable = (mode: Mode) => async () => {
    const bytes = await sealEnvelope(FIELDS, taggedJsonCodec.encode(snap), MODES[mode]);
    const s = ++seq;
    await adapter.write(key, { seq: s, epoch: 0, createdAt: 0, byteLength: bytes.length, bytes });
    await adapter.remove(key, s - 1);
  };
  const restore = (mode: Mode) => () => decodeCheckpoint(envelope[mode], [taggedJsonCodec]);
  const reps = Math.max(1, Math.round(2_000_000 / bytes));
  const t = await measure(
    {
      'save plain': save('plain'),
      'save gzip': save('gzip'),
      'durable plain': durable('plain'),
      'durable gzip': durable('gzip'),
      'restore plain': restore('plain'),
      'restore gzip': restore('gzip'),
    },
    reps,
  );
  const bytesRow = {
    size: label,
    metric: 'bytes stored',
    gzip: envelope.gzip.length,
    plain: envelope.plain.length,
    unit: 'B',
    ratio: envelope.gzip.length / envelope.plain.length,
  };
  // ratio: from each task's fastest round (least disturbed by other processes); medianRatio from medians.
  const row = (metric: string, task: string) => {
    const ours = t[`${task} gzip`]!;
    const base = t[`${task} plain`]!;
    return {
      size: label,
      metric,
      gzip: ours.min,
      plain: base.min,
      unit: 'ms',
      ratio: ours.min / base.min,
      medianRatio: ours.median / base.median,
    };
  };
  return [
    bytesRow,
    row('save in memory (encode + envelope)', 'save'),
    row('save durable (+ fileAdapter.write)', 'durable'),
    row('restore (decodeCheckpoint)', 'restore'),
  ];
}

afterAll(async () => {
  const rows = [];
  for (const size of SIZES) rows.push(...(await rowsFor(size.label, size.bytes)));
  console.log(
    [
      'compress: { above: 0 } (gzip, CompressionStream) vs none, rich snapshots, median of interleaved rounds:',
      ...rows.map(
        (r) =>
          `  ${r.size.padEnd(7)} ${r.metric.padEnd(36)} gzip ${r.gzip.toFixed(r.unit === 'B' ? 0 : 2)} ${r.unit} vs ${r.plain.toFixed(r.unit === 'B' ? 0 : 2)} ${r.unit}: ${r.ratio.toFixed(2)}x`,
      ),
    ].join('\n'),
  );
  const out = new URL('../.tmp/bench/', import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    new URL('compress.json', out),
    `${JSON.stringify({ node: process.version, measuredAt: new Date().toISOString(), rounds: ROUNDS, rows }, null, 2)}\n`,
  );
  await adapter.dispose();
  rmSync(dir, { recursive: true, force: true });
}, 600_000);

describe('compression (vitest table: 100 KB rich; the ratios for 100 KB and 1 MB print after)', () => {
  const snap = { snapshot: snapshot(100 * 1024, 'rich'), timers: [] };
  const opts = { time: 300, warmupTime: 0 } as const;
  bench(
    'encode + sealEnvelope, gzip',
    () => sealEnvelope(FIELDS, taggedJsonCodec.encode(snap), MODES.gzip).then(() => undefined),
    opts,
  );
  bench(
    'encode + sealEnvelope, plain',
    () => sealEnvelope(FIELDS, taggedJsonCodec.encode(snap), MODES.plain).then(() => undefined),
    opts,
  );
});
