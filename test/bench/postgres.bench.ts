import { mkdirSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, bench, describe } from 'vitest';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { postgresAdapter, postgresSchemaSql } from 'xstate-checkpoint/adapters/postgres';
import { pgConfig, postgresAvailable, randomSuffix } from '../server/support.js';

// The PostgreSQL adapter against raw `pg` on the same server, table layout and bytes:
// - saves/s with 8 concurrent writers on distinct keys: adapter.write (compare-and-set
//   with fencing, one statement) vs a plain INSERT of the same row;
// - restore of the newest generation: adapter.readNewest (one statement: the sequences, the
//   quarantine's highest, the epoch and the newest bytes) vs one SELECT of that row.
// The raw side runs twice: as `pool.query(text, values)` (what most code does) and as
// a named prepared statement (what the adapter does), so neither baseline flatters.
// vitest's table has no cross-task ratios, so afterAll times the sides interleaved and
// prints the ratios (also written to test/.tmp/bench/postgres.json).

const ready = await postgresAvailable();
const WRITERS = 8;
const SAVE_TURNS = 300;
const RESTORE_TURNS = 1500;

type Side = 'adapter' | 'raw' | 'raw prepared';
const SIDES: readonly Side[] = ['adapter', 'raw', 'raw prepared'];

const schema = `xsc_bench_${randomSuffix()}`;
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

const insertRaw = `INSERT INTO "${schema}".raw (key, seq, epoch, version, created_at, byte_length, checksum, payload)
  VALUES ($1, $2, $3, $4, timestamptz 'epoch' + $5::float8 * interval '1 millisecond', $6, $7, $8)`;
const selectRaw = `SELECT payload FROM "${schema}".raw WHERE key = $1 AND seq = $2`;
const rawValues = (key: string, seq: number, bytes: Uint8Array) => [
  key,
  seq,
  0,
  1,
  Date.now(),
  bytes.length,
  0,
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
];
const rawQuery = (side: Side, text: string, values: unknown[]) =>
  side === 'raw prepared' ? { name: `bench_${text.length}_${text.slice(0, 6)}`, text, values } : { text, values };

const setup = ready
  ? (async () => {
      const admin = new pg.Pool({ ...pgConfig(), max: 1 });
      await admin.query(`CREATE SCHEMA "${schema}"`);
      await admin.query(postgresSchemaSql({ schema, table: 'adapter' }));
      await admin.query(postgresSchemaSql({ schema, table: 'raw' }));
      const adapter = postgresAdapter({ poolConfig: { ...pgConfig(), max: WRITERS }, schema, table: 'adapter' });
      const raw = new pg.Pool({ ...pgConfig(), max: WRITERS });
      // Open every connection up front so no side pays for connecting while measured.
      await Promise.all(Array.from({ length: WRITERS }, (_, i) => adapter.list(`warm-${i}`)));
      await Promise.all(Array.from({ length: WRITERS }, () => raw.query('SELECT 1')));
      for (const seq of [1, 2, 3]) {
        const bytes = envelope(seq);
        await adapter.write('restore', { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
        await raw.query(insertRaw, rawValues('restore', seq, bytes));
      }
      return { admin, adapter, raw };
    })()
  : undefined;

const nextSeq = new Map<string, number>();
const seqFor = (key: string) => {
  const seq = (nextSeq.get(key) ?? 0) + 1;
  nextSeq.set(key, seq);
  return seq;
};

/** 8 writers, each on its own key, each saving `saves` new generations one after another. */
async function saveRound(side: Side, saves: number): Promise<void> {
  const { adapter, raw } = (await setup)!;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      const key = `${side}-writer-${w}`;
      for (let i = 0; i < saves; i++) {
        const seq = seqFor(key);
        const bytes = envelope(seq);
        if (side === 'adapter') {
          await adapter.write(key, { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
        } else {
          await raw.query(rawQuery(side, insertRaw, rawValues(key, seq, bytes)));
        }
      }
    }),
  );
}

let sink: unknown;
/** `restores` restores of the newest generation of a key with three generations, one after another. */
async function restoreRound(side: Side, restores: number): Promise<void> {
  const { adapter, raw } = (await setup)!;
  for (let i = 0; i < restores; i++) {
    if (side === 'adapter') {
      sink = (await adapter.readNewest('restore')).newest!.bytes;
    } else {
      sink = (await raw.query<{ payload: Buffer }>(rawQuery(side, selectRaw, ['restore', 3]))).rows[0]!.payload;
    }
  }
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/**
 * Median ms per operation of each side. The sides take turns operation by
 * operation (order rotating), so a burst of load on this shared machine hits
 * all of them alike instead of whichever side happened to run then.
 */
async function compare(
  once: (side: Side, i: number) => Promise<void>,
  turns: number,
  perTurn: number,
): Promise<Record<Side, number>> {
  const samples: Record<Side, number[]> = { adapter: [], raw: [], 'raw prepared': [] };
  for (let i = -Math.ceil(turns / 10); i < turns; i++) {
    for (let j = 0; j < SIDES.length; j++) {
      const side = SIDES[(i + j + SIDES.length) % SIDES.length]!;
      const t0 = performance.now();
      await once(side, i);
      if (i >= 0) samples[side].push((performance.now() - t0) / perTurn);
    }
  }
  return {
    adapter: median(samples.adapter),
    raw: median(samples.raw),
    'raw prepared': median(samples['raw prepared']),
  };
}

afterAll(async () => {
  if (!setup) return;
  const s = await setup;
  try {
    // One turn: each of the 8 writers saves one generation, concurrently.
    const saves = await compare((side) => saveRound(side, 1), SAVE_TURNS, WRITERS);
    const restores = await compare((side) => restoreRound(side, 1), RESTORE_TURNS, 1);
    const row = (
      metric: string,
      t: Record<Side, number>,
      baseline: 'raw' | 'raw prepared',
      name: string,
      target: number,
    ) => {
      const ratio = t.adapter / t[baseline];
      return {
        metric,
        ours: t.adapter,
        baseline: t[baseline],
        baselineName: `${name}${baseline === 'raw prepared' ? ' (prepared)' : ''}`,
        ratio,
        target,
        met: ratio <= target,
        oursPerSecond: 1000 / t.adapter,
        baselinePerSecond: 1000 / t[baseline],
      };
    };
    const saveMetric = `save, ${WRITERS} concurrent writers (distinct keys)`;
    const restoreMetric = 'restore newest (readNewest)';
    const rows = [
      row(saveMetric, saves, 'raw', 'raw INSERT', 1.3),
      row(saveMetric, saves, 'raw prepared', 'raw INSERT', 1.3),
      row(restoreMetric, restores, 'raw', 'raw SELECT', 1.5),
      row(restoreMetric, restores, 'raw prepared', 'raw SELECT', 1.5),
    ];
    console.log(
      [
        `postgres ratios (medians of ${SAVE_TURNS} save turns and ${RESTORE_TURNS} restores per side, sides interleaved; ` +
          `${envelopeBytes}-byte envelopes; ratio = ours / baseline, lower is better)`,
        ...rows.map(
          (r) =>
            `${r.metric.padEnd(44)} ours ${r.ours.toFixed(3)} ms/op (${r.oursPerSecond.toFixed(0)}/s)  ` +
            `${r.baselineName.padEnd(23)} ${r.baseline.toFixed(3)} ms/op (${r.baselinePerSecond.toFixed(0)}/s)  ` +
            `ratio ${r.ratio.toFixed(3)}x  target <= ${r.target}x  ${r.met ? 'met' : 'NOT MET'}`,
        ),
      ].join('\n'),
    );
    const dir = new URL('../.tmp/bench/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      new URL('postgres.json', dir),
      `${JSON.stringify({ node: process.version, measuredAt: new Date().toISOString(), envelopeBytes, rows }, null, 2)}\n`,
    );
  } finally {
    await s.adapter.dispose();
    await s.raw.end();
    await s.admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    await s.admin.end();
  }
}, 600_000);

describe.skipIf(!ready)('postgres adapter vs raw pg', () => {
  const opts = { time: 1000, warmupTime: 200, iterations: 3 };
  bench(`adapter.write x ${WRITERS} writers`, () => saveRound('adapter', 5), opts);
  bench(`raw INSERT x ${WRITERS} writers`, () => saveRound('raw', 5), opts);
  bench(`raw prepared INSERT x ${WRITERS} writers`, () => saveRound('raw prepared', 5), opts);
  bench('adapter.readNewest', () => restoreRound('adapter', 10), opts);
  bench('raw SELECT of the same row', () => restoreRound('raw', 10), opts);
  bench('raw prepared SELECT of the same row', () => restoreRound('raw prepared', 10), opts);
});

void sink;
