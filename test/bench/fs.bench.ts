import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { taggedJsonCodec } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import type { CheckpointAdapter } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';

// fileAdapter's durable save against the raw durable write it is built on, in
// the same run on the same disk (os.tmpdir()):
//   flush 1 KB: encodeEnvelope + adapter.write  vs  tmp + fsync + rename + folder fsync of the same bytes
//   save 1 MB rich: taggedJsonCodec.encode + encodeEnvelope + adapter.write  vs  JSON.stringify + the same raw write
// vitest's table has no cross-task ratios, so afterAll times the tasks itself in
// alternating pairs (each call timed alone; the retention pruning after each
// write, which keeps 3 generations as persistActor does, is not timed), prints
// the median per-pair ratio and writes it to test/.tmp/bench/fs.json.
// Run: npx vitest bench --run --project node test/bench/fs.bench.ts

const root = mkdtempSync(join(tmpdir(), 'xsc-fs-bench-'));

/** A persisted XState snapshot whose context is about `bytes` of JSON, with Dates, Maps and Sets. */
function richSnapshot(bytes: number): Record<string, unknown> {
  const lines: Array<Record<string, unknown>> = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = {
      id: `line-${i}`,
      sku: `SKU-${(i * 7919) % 1_000_003}`,
      qty: 1 + (i % 9),
      price: ((i * 37) % 10_000) / 100,
      gift: i % 5 === 0,
      createdAt: new Date(1_700_000_000_000 + i * 60_000),
      tags: new Set(['alpha', `t${i % 13}`, `u${i % 7}`]),
      attrs: new Map<string, string | number>([
        ['color', `c${i % 11}`],
        ['size', i % 50],
      ]),
      events: [{ type: 'added', at: new Date(1_700_000_000_000 + i * 61_000) }],
    };
    lines.push(line);
    size += JSON.stringify(line).length + 60; // Maps and Sets count as about 60 more characters of data
  }
  return {
    status: 'active',
    value: { checkout: { payment: 'pending' } },
    historyValue: {},
    context: { orderId: 'order-42', customer: { id: 'c-7', name: 'Ada' }, lines, placedAt: new Date(0) },
    children: {},
  };
}

const kb = new Uint8Array(1024 - 200).map((_, i) => (i * 31) & 0xff);
const snapshot = richSnapshot(1024 * 1024);
const fields = (seq: number) => ({ machine: 'order', version: 1, seq, epoch: 0, createdAt: Date.now(), codec: 'xsc1' });

/** The raw durable write: temp file, every byte, fsync, rename over the target, folder fsync. */
async function rawDurableWrite(dir: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dir, 'checkpoint.tmp');
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, 'checkpoint'));
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** A saver that publishes one generation per call and prunes to the newest 3 (untimed). */
function saver(adapter: CheckpointAdapter, key: string, encode: (seq: number) => Uint8Array) {
  let seq = 0;
  return {
    save: async () => {
      seq++;
      const bytes = encode(seq);
      await adapter.write(key, { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
    },
    prune: async () => {
      if (seq > 3) await adapter.remove(key, seq - 3);
    },
  };
}

const adapter = fileAdapter({ dir: join(root, 'store') });
const flush1k = saver(adapter, 'flush-1k', (seq) => encodeEnvelope(fields(seq), kb));
const save1m = saver(adapter, 'save-1m', (seq) => encodeEnvelope(fields(seq), taggedJsonCodec.encode(snapshot)));
const kbEnvelope = encodeEnvelope(fields(1), kb);
const rawDir = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const raw1k = rawDir('raw-1k');
const raw1m = rawDir('raw-1m');

interface Task {
  run: () => Promise<unknown>;
  after?: () => Promise<unknown>;
}

/**
 * Runs `ours` and `baseline` in alternating pairs (which one goes first swaps
 * every pair), timing each call alone, so that load from other processes hits
 * both alike. Returns the median ms of each and the median of the per-pair
 * ratios (the figure reported), after `warmup` unrecorded pairs.
 */
async function pairs(ours: Task, baseline: Task, count: number, warmup = 5) {
  const oursMs: number[] = [];
  const baseMs: number[] = [];
  const ratios: number[] = [];
  const time = async (task: Task) => {
    const t0 = performance.now();
    await task.run();
    const dt = performance.now() - t0;
    await task.after?.();
    return dt;
  };
  for (let i = -warmup; i < count; i++) {
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = await time(ours);
      b = await time(baseline);
    } else {
      b = await time(baseline);
      a = await time(ours);
    }
    if (i < 0) continue;
    oursMs.push(a);
    baseMs.push(b);
    ratios.push(a / b);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return { oursMs: median(oursMs), baselineMs: median(baseMs), ratio: median(ratios), pairs: count };
}

afterAll(async () => {
  const rows = [
    {
      metric: 'flush 1 KB',
      ours: 'encodeEnvelope + fileAdapter.write',
      baseline: 'raw tmp + fsync + rename + dir fsync of the same bytes',
      target: 1.5,
      ...(await pairs(
        { run: flush1k.save, after: flush1k.prune },
        { run: () => rawDurableWrite(raw1k, kbEnvelope) },
        300,
      )),
    },
    {
      metric: 'save 1 MB rich',
      ours: 'taggedJsonCodec.encode + encodeEnvelope + fileAdapter.write',
      baseline: 'JSON.stringify + the same raw durable write',
      target: 1.2,
      ...(await pairs(
        { run: save1m.save, after: save1m.prune },
        { run: () => rawDurableWrite(raw1m, JSON.stringify(snapshot)) },
        60,
      )),
    },
  ];
  console.log(
    [
      'fs adapter ratios: ours / baseline, median of per-pair ratios over alternating calls (same disk, same run)',
      ...rows.map(
        (r) =>
          `${r.metric.padEnd(15)} ${r.oursMs.toFixed(2).padStart(7)} ms vs ${r.baselineMs.toFixed(2).padStart(7)} ms  ` +
          `ratio ${r.ratio.toFixed(2)}x over ${r.pairs} pairs (target <= ${r.target}x: ${r.ratio <= r.target ? 'met' : 'NOT met'})`,
      ),
    ].join('\n'),
  );
  const out = new URL('../.tmp/bench/', import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    new URL('fs.json', out),
    `${JSON.stringify({ node: process.version, measuredAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  await adapter.dispose();
  rmSync(root, { recursive: true, force: true });
}, 600_000);

// vitest's own per-task table (absolute ops/s); the ratios above are the result.
const opts = { time: 500, warmupTime: 100 };
describe('flush 1 KB', () => {
  bench('encodeEnvelope + fileAdapter.write', async () => (await flush1k.save(), flush1k.prune()), opts);
  bench('raw tmp + fsync + rename + dir fsync', () => rawDurableWrite(raw1k, kbEnvelope), opts);
});
describe('save 1 MB rich snapshot', () => {
  bench(
    'taggedJsonCodec.encode + encodeEnvelope + fileAdapter.write',
    async () => (await save1m.save(), save1m.prune()),
    opts,
  );
  bench('JSON.stringify + raw durable write', () => rawDurableWrite(raw1m, JSON.stringify(snapshot)), opts);
});
