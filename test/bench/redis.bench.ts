import { mkdirSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, bench, describe } from 'vitest';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { randomSuffix, redisAvailable, redisUrl } from '../server/support.js';

// The Redis adapter against raw ioredis on the same server and bytes:
// - restore of the newest generation: adapter.readNewest (one Lua script: the sequences,
//   the quarantine's highest, the epoch and the newest bytes) vs a GET of the same bytes;
// - save: adapter.write (compare-and-set with fencing and a notice, one script) vs a SET.
// afterAll times the sides interleaved and prints the ratios (also written to
// test/.tmp/bench/redis.json).

const ready = await redisAvailable();
const SAVE_TURNS = 1500;
const RESTORE_TURNS = 1500;

type Side = 'adapter' | 'raw';
const SIDES: readonly Side[] = ['adapter', 'raw'];

const prefix = `xsc-bench-${randomSuffix()}:`;
const payload = new TextEncoder().encode(
  JSON.stringify({
    snapshot: {
      status: 'active',
      value: { order: 'paid' },
      context: { lines: Array.from({ length: 20 }, (_, i) => ({ sku: `SKU-${i}`, qty: i, price: i * 3.5 })) },
    },
    timers: [],
  }),
);
const envelope = (seq: number) =>
  encodeEnvelope({ machine: 'order', version: 1, seq, epoch: 0, createdAt: Date.now(), codec: 'xsc1' }, payload);
const envelopeBytes = envelope(1).length;
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const setup = ready
  ? (async () => {
      const adapter = redisAdapter({ url: redisUrl(), prefix, onWarning: () => undefined });
      const raw = new Redis(redisUrl());
      await adapter.list('warm');
      await raw.ping();
      for (const seq of [1, 2, 3]) {
        const bytes = envelope(seq);
        await adapter.write('restore', { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
        await raw.set(`${prefix}raw:restore`, asBuffer(bytes));
      }
      return { adapter, raw };
    })()
  : undefined;

let seq = 0;
let sink: unknown;
async function once(side: Side, what: 'save' | 'restore'): Promise<void> {
  const { adapter, raw } = (await setup)!;
  if (what === 'restore') {
    sink =
      side === 'adapter'
        ? (await adapter.readNewest('restore')).newest!.bytes
        : await raw.getBuffer(`${prefix}raw:restore`);
    return;
  }
  const bytes = envelope(++seq);
  if (side === 'adapter')
    await adapter.write('save', { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
  else await raw.set(`${prefix}raw:save`, asBuffer(bytes));
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/** Median ms per operation of each side, the sides taking turns (order rotating) on this shared machine. */
async function compare(what: 'save' | 'restore', turns: number): Promise<Record<Side, number>> {
  const samples: Record<Side, number[]> = { adapter: [], raw: [] };
  for (let i = -Math.ceil(turns / 10); i < turns; i++) {
    for (let j = 0; j < SIDES.length; j++) {
      const side = SIDES[(i + j + SIDES.length) % SIDES.length]!;
      const t0 = performance.now();
      await once(side, what);
      if (i >= 0) samples[side].push(performance.now() - t0);
    }
  }
  return { adapter: median(samples.adapter), raw: median(samples.raw) };
}

afterAll(async () => {
  if (!setup) return;
  const s = await setup;
  try {
    const saves = await compare('save', SAVE_TURNS);
    const restores = await compare('restore', RESTORE_TURNS);
    const row = (metric: string, t: Record<Side, number>, baselineName: string, target: number) => {
      const ratio = t.adapter / t.raw;
      return {
        metric,
        ours: t.adapter,
        baseline: t.raw,
        baselineName,
        ratio,
        target,
        met: ratio <= target,
        oursPerSecond: 1000 / t.adapter,
        baselinePerSecond: 1000 / t.raw,
      };
    };
    const rows = [
      row('save (one writer)', saves, 'raw SET', 1.5),
      row('restore newest (readNewest)', restores, 'raw GET', 1.5),
    ];
    console.log(
      [
        `redis ratios (medians of ${SAVE_TURNS} saves and ${RESTORE_TURNS} restores per side, sides interleaved; ` +
          `${envelopeBytes}-byte envelopes; ratio = ours / baseline, lower is better)`,
        ...rows.map(
          (r) =>
            `${r.metric.padEnd(30)} ours ${r.ours.toFixed(3)} ms/op (${r.oursPerSecond.toFixed(0)}/s)  ` +
            `${r.baselineName.padEnd(8)} ${r.baseline.toFixed(3)} ms/op (${r.baselinePerSecond.toFixed(0)}/s)  ` +
            `ratio ${r.ratio.toFixed(3)}x  target <= ${r.target}x  ${r.met ? 'met' : 'NOT MET'}`,
        ),
      ].join('\n'),
    );
    const dir = new URL('../.tmp/bench/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      new URL('redis.json', dir),
      `${JSON.stringify({ node: process.version, measuredAt: new Date().toISOString(), envelopeBytes, rows }, null, 2)}\n`,
    );
  } finally {
    await s.adapter.dispose();
    const keys = await s.raw.keys(`${prefix}*`);
    if (keys.length > 0) await s.raw.del(...keys);
    await s.raw.quit();
  }
}, 600_000);

describe.skipIf(!ready)('redis adapter vs raw ioredis', () => {
  const opts = { time: 1000, warmupTime: 200, iterations: 3 };
  bench('adapter.write', () => once('adapter', 'save'), opts);
  bench('raw SET of the same bytes', () => once('raw', 'save'), opts);
  bench('adapter.readNewest', () => once('adapter', 'restore'), opts);
  bench('raw GET of the same bytes', () => once('raw', 'restore'), opts);
});

void sink;
