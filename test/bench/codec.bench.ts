import { mkdirSync, writeFileSync } from 'node:fs';
import superjson from 'superjson';
import { afterAll, bench, describe } from 'vitest';
import { taggedJsonCodec } from 'xstate-checkpoint';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { snapshot, type Kind } from './snapshots.js';

// Codec speed against JSON and superjson on XState-like persisted snapshots
// (contexts of about 1 KB, 100 KB and 1 MB; "rich" = many Dates, Maps, Sets).
// vitest's own table has no cross-task ratios, so afterAll runs an interleaved
// timing loop (warm-up, several rounds; best round, median, CPU time) and prints the ratios; they are
// also written to test/.tmp/bench/codec.json.
// Run: npx vitest bench --run --project node test/bench/codec.bench.ts

const SIZES = [
  { label: '1 KB', bytes: 1024 },
  { label: '100 KB', bytes: 100 * 1024 },
  { label: '1 MB', bytes: 1024 * 1024 },
] as const;

const utf8 = new TextDecoder();
const utf8Out = new TextEncoder();
const FIELDS = { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: 0, codec: taggedJsonCodec.id };

interface Case {
  label: string;
  kind: Kind;
  snap: Record<string, unknown>;
  envelope: Uint8Array;
  payload: Uint8Array;
  payloadText: string;
  superText: string;
}

const cases: Case[] = [];
for (const size of SIZES) {
  for (const kind of ['plain', 'rich'] as const) {
    const snap = snapshot(size.bytes, kind);
    const payload = taggedJsonCodec.encode(snap);
    cases.push({
      label: size.label,
      kind,
      snap,
      envelope: encodeEnvelope(FIELDS, payload),
      payload,
      payloadText: utf8.decode(payload),
      superText: superjson.stringify(snap),
    });
  }
}

// Results go here so the engine cannot drop the work.
export let sink: unknown;
const restore = (c: Case): unknown => taggedJsonCodec.decode(openEnvelope(c.envelope).payload);
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Timing {
  /** Median wall time per call, ms (performance.now). */
  wall: number;
  /** Median CPU time per call, ms (process.cpuUsage: less hurt by other processes on a busy machine). */
  cpu: number;
  /** Fastest round's wall time per call, ms. */
  minWall: number;
}

/**
 * Time per call of each task, measured in interleaved rounds (two
 * warm-up rounds first) so that drift and noise hit every task alike. A task
 * may take per-call inputs from `prepare`, made outside the timed loop.
 */
function measure(
  tasks: Record<string, { run: (input: unknown) => unknown; prepare?: () => unknown }>,
  rounds = ROUNDS,
  sampleMs = 10,
): Record<string, Timing> {
  const names = Object.keys(tasks);
  const iterations: Record<string, number> = {};
  for (const name of names) {
    const { run, prepare } = tasks[name]!;
    let n = 1;
    for (;;) {
      const inputs = Array.from({ length: n }, () => prepare?.());
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink = run(inputs[i]);
      const dt = performance.now() - t0;
      if (dt >= sampleMs || n >= 1 << 20) break;
      n = dt < 1 ? n * 8 : Math.ceil((n * sampleMs) / dt);
    }
    iterations[name] = n;
  }
  const walls: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpus: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -2; round < rounds; round++) {
    for (const name of names) {
      const { run, prepare } = tasks[name]!;
      const n = iterations[name]!;
      const inputs = Array.from({ length: n }, () => prepare?.());
      const c0 = cpu();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink = run(inputs[i]);
      const t1 = performance.now();
      const c1 = cpu();
      if (round >= 0) {
        walls[name]!.push((t1 - t0) / n);
        cpus[name]!.push((c1 - c0) / n);
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(
    names.map((n) => [n, { wall: median(walls[n]!), cpu: median(cpus[n]!), minWall: Math.min(...walls[n]!) }]),
  );
}

const ROUNDS = 15;

interface Row {
  size: string;
  kind: Kind;
  metric: string;
  ours: Timing;
  baselineName: string;
  baseline: Timing;
  /** ours / baseline, from each task's fastest round (least disturbed by other processes). */
  ratio: number;
  /** ours / baseline, from median wall times. */
  medianRatio: number;
  /** ours / baseline, from median CPU times. */
  cpuRatio: number;
  target: string;
  met: boolean;
}

function rows(): Row[] {
  const out: Row[] = [];
  const timings = new Map<Case, Record<string, Timing>>();
  for (const c of cases) {
    const tasks: Record<string, { run: (input: unknown) => unknown; prepare?: () => unknown }> = {
      encode: { run: () => taggedJsonCodec.encode(c.snap) },
      'JSON.stringify': { run: () => JSON.stringify(c.snap) },
      // The codec's output is bytes (what an adapter stores): the same floor, to bytes.
      'TextEncoder.encode(JSON.stringify)': { run: () => utf8Out.encode(JSON.stringify(c.snap)) },
      restore: { run: () => restore(c) },
      'JSON.parse(decode(bytes))': { run: () => JSON.parse(utf8.decode(c.payload)) },
      'JSON.parse(text)': { run: () => JSON.parse(c.payloadText) },
    };
    if (c.kind === 'rich') tasks['superjson.stringify'] = { run: () => superjson.stringify(c.snap) };
    timings.set(c, measure(tasks));
  }
  // Objects never encoded before (as after a restore): both sides get new deep
  // copies, made outside the timed loop. Last, so that the garbage of the
  // copies does not weigh on the measurements above.
  for (const c of cases) {
    const fresh = (): unknown => structuredClone(c.snap);
    Object.assign(
      timings.get(c)!,
      measure({
        'encode (fresh objects)': { run: (snap) => taggedJsonCodec.encode(snap), prepare: fresh },
        'JSON.stringify (fresh objects)': { run: (snap) => JSON.stringify(snap), prepare: fresh },
      }),
    );
  }
  for (const c of cases) {
    const t = timings.get(c)!;
    const row = (metric: string, ours: string, baseline: string, max: number, target?: string): void => {
      const ratio = t[ours]!.minWall / t[baseline]!.minWall;
      out.push({
        size: c.label,
        kind: c.kind,
        metric,
        ours: t[ours]!,
        baselineName: baseline,
        baseline: t[baseline]!,
        ratio,
        medianRatio: t[ours]!.wall / t[baseline]!.wall,
        cpuRatio: t[ours]!.cpu / t[baseline]!.cpu,
        target: target ?? `<= ${max}x`,
        met: ratio <= max,
      });
    };
    row('encode', 'encode', 'JSON.stringify', c.kind === 'plain' ? 1.3 : 1.0);
    if (c.kind === 'plain') row('encode', 'encode', 'TextEncoder.encode(JSON.stringify)', Infinity, 'info');
    if (c.kind === 'rich') row('encode', 'encode', 'superjson.stringify', 0.1, '>= 10x faster');
    row('encode (fresh objects)', 'encode (fresh objects)', 'JSON.stringify (fresh objects)', Infinity, 'info');
    row('restore (open + decode)', 'restore', 'JSON.parse(decode(bytes))', 2.5);
    row('restore (open + decode)', 'restore', 'JSON.parse(text)', Infinity, 'info');
  }
  return out;
}

const ms = (v: number): string => (v >= 1 ? `${v.toFixed(2)} ms` : `${(v * 1000).toFixed(1)} µs`);

afterAll(() => {
  const table = rows();
  const lines = [
    `codec ratios: ours / baseline over ${ROUNDS} interleaved rounds. "best": fastest round of each (the least disturbed`,
    'by other processes; targets are judged on it), "median": median wall time, "cpu": median CPU time.',
    'restore = openEnvelope (length + CRC-32) + taggedJsonCodec.decode; "decode(bytes)" = TextDecoder, as restore must do.',
    `${'size'.padEnd(7)} ${'kind'.padEnd(6)} ${'metric'.padEnd(24)} ${'ours'.padStart(10)}   ${'baseline'.padEnd(46)} ${'best'.padStart(7)} ${'median'.padStart(7)} ${'cpu'.padStart(7)}  target         met`,
    ...table.map(
      (r) =>
        `${r.size.padEnd(7)} ${r.kind.padEnd(6)} ${r.metric.padEnd(24)} ${ms(r.ours.minWall).padStart(10)}   ${`${r.baselineName} ${ms(r.baseline.minWall)}`.padEnd(46)} ${r.ratio.toFixed(3).padStart(6)}x ${r.medianRatio.toFixed(3).padStart(6)}x ${r.cpuRatio.toFixed(3).padStart(6)}x  ${r.target.padEnd(14)} ${r.target === 'info' ? '' : r.met ? 'yes' : 'NO'}`,
    ),
  ];
  console.log(lines.join('\n'));
  const dir = new URL('../.tmp/bench/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL('codec.json', dir),
    `${JSON.stringify({ node: process.version, measuredAt: new Date().toISOString(), rows: table }, null, 2)}\n`,
  );
}, 600_000);

// vitest's own per-task table (absolute ops/s); kept short, the ratios above are the result.
const opts = { time: 200, warmupTime: 50 };
for (const c of cases) {
  describe(`${c.label} ${c.kind}`, () => {
    bench('taggedJsonCodec.encode', () => void (sink = taggedJsonCodec.encode(c.snap)), opts);
    bench('JSON.stringify', () => void (sink = JSON.stringify(c.snap)), opts);
    if (c.kind === 'rich') bench('superjson.stringify', () => void (sink = superjson.stringify(c.snap)), opts);
    bench('openEnvelope + decode', () => void (sink = restore(c)), opts);
    bench('JSON.parse(decode(bytes))', () => void (sink = JSON.parse(utf8.decode(c.payload))), opts);
    if (c.kind === 'rich') bench('superjson.parse', () => void (sink = superjson.parse(c.superText)), opts);
  });
}
