import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import superjson from 'superjson';
import { afterAll, bench, describe } from 'vitest';
import { assign, createActor, createMachine } from 'xstate';
import { persistActor, taggedJsonCodec, type PersistedActor } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { decodeCheckpoint, prepareCheckpoint } from 'xstate-checkpoint/pipeline';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

// Event throughput of a persisted actor (memory adapter, and the fs adapter
// with its durable writes, both at the default debounce) against bare XState
// and the recipe XState's docs suggest (stringify + store on every change), and
// restore cost against JSON.parse of the same bytes. afterAll prints the ratios
// (median of interleaved rounds, wall and CPU time, and the worst round of the
// fs adapter against bare XState in the same round) and writes them to
// test/.tmp/bench/persist.json.

const machine = createMachine({
  id: 'counter',
  context: {
    count: 0,
    customer: { id: 'c-1', name: 'Ada', since: new Date(1_700_000_000_000).toISOString() },
    lines: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1, price: 9.99 * (i + 1) })),
  },
  initial: 'active',
  states: { active: { on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } } } },
});

const EVENTS = 100_000;
const ROUNDS = 9;
const CHUNK = 1000; // events per macrotask, so debounce timers and writes really run during the measurement
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function drive(send: (e: { type: 'INC' }) => void): Promise<number> {
  const t0 = performance.now();
  for (let sent = 0; sent < EVENTS; sent += CHUNK) {
    for (let i = 0; i < CHUNK; i++) send({ type: 'INC' });
    await tick();
  }
  return performance.now() - t0;
}

const fsRoot = mkdtempSync(join(tmpdir(), 'xsc-persist-bench-'));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const bareRun = async () => {
  const actor = createActor(machine).start();
  const ms = await drive(actor.send);
  actor.stop();
  return ms;
};

const runs: Record<string, () => Promise<number>> = {
  bare: bareRun,
  // The same bare XState run again: its ratios (1x if the machine were quiet) show how far a
  // single round drifts on this machine, the band the other rows' worst rounds are read against.
  'bare (control)': bareRun,
  persisted: async () => {
    const p: PersistedActor<typeof machine> = await persistActor(machine, {
      key: 'k',
      adapter: memoryAdapter(),
      flushOnExit: false,
    });
    const ms = await drive(p.actor.send);
    const t0 = performance.now();
    await p.close();
    return ms + (performance.now() - t0);
  },
  // One store for every round: each round restores the last round's checkpoint, runs, and
  // its close writes the final state durably (fsync), as a service does between deploys.
  // Creating a new key's folder is a one-time cost, measured in fs.bench.ts.
  'persisted (fs)': async () => {
    const adapter = fileAdapter({ dir: fsRoot });
    const p: PersistedActor<typeof machine> = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
    const ms = await drive(p.actor.send);
    const t0 = performance.now();
    await p.close();
    const total = ms + (performance.now() - t0);
    await adapter.dispose();
    return total;
  },
  'recipe (JSON)': async () => {
    const storage = new Map<string, string>();
    const actor = createActor(machine);
    actor.subscribe(() => storage.set('k', JSON.stringify(actor.getPersistedSnapshot())));
    actor.start();
    const ms = await drive(actor.send);
    actor.stop();
    return ms;
  },
  'recipe (superjson)': async () => {
    const storage = new Map<string, string>();
    const actor = createActor(machine);
    actor.subscribe(() => storage.set('k', superjson.stringify(actor.getPersistedSnapshot())));
    actor.start();
    const ms = await drive(actor.send);
    actor.stop();
    return ms;
  },
};

function restoreCase(bytes: number) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const l = {
      sku: `SKU-${i}`,
      name: `item ${i}`,
      qty: i % 7,
      price: i * 1.25,
      tags: ['a', 'b'],
      note: 'x'.repeat(20),
    };
    size += JSON.stringify(l).length;
    lines.push(l);
  }
  const m = createMachine({ id: 'order', context: { lines }, initial: 'open', states: { open: {} } });
  const actor = createActor(m).start();
  const snapshot = actor.getPersistedSnapshot();
  actor.stop();
  const payload = taggedJsonCodec.encode({ snapshot, timers: [] });
  const envelope = encodeEnvelope(
    { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: 1, codec: 'xsc1' },
    payload,
  );
  const json = new TextEncoder().encode(JSON.stringify(snapshot));
  return { m, envelope, json };
}

async function median(fn: () => Promise<number>, rounds: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < rounds; i++) xs.push(await fn());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

describe('persisted actor', () => {
  const actor = createActor(machine).start();
  bench('bare XState: 1 event', () => {
    actor.send({ type: 'INC' });
  });
  let p: PersistedActor<typeof machine> | undefined;
  bench(
    'persisted (memory): 1 event',
    () => {
      p!.actor.send({ type: 'INC' });
    },
    {
      setup: async () => {
        p ??= await persistActor(machine, { key: 'b', adapter: memoryAdapter(), flushOnExit: false });
      },
    },
  );
});

afterAll(async () => {
  const results: Record<string, unknown> = {};
  // Warm up every path once, then interleave rounds so drift hits all alike.
  for (const run of Object.values(runs)) await run();
  const times: Record<string, number[]> = {};
  const cpus: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(runs)) {
      const c0 = cpuMs();
      (times[name] ??= []).push(await run());
      (cpus[name] ??= []).push(cpuMs() - c0);
    }
  }
  rmSync(fsRoot, { recursive: true, force: true });
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bare = med(times['bare']!);
  const bareCpu = med(cpus['bare']!);
  console.log(
    `\nevent throughput, ${EVENTS} events (median of ${ROUNDS} interleaved rounds; ratio = throughput / bare XState, the baseline;` +
      ' cpu = the same ratio in CPU time; worst = lowest ratio of a single round against bare XState in that round;' +
      ' "bare (control)" is bare XState again: its spread is the noise of this machine)',
  );
  const throughput: Record<
    string,
    { eventsPerSecond: number; ratio: number; cpuRatio: number; worstRoundRatio: number; baseline: string }
  > = {};
  for (const [name, xs] of Object.entries(times)) {
    const ms = med(xs);
    const worst = Math.min(...xs.map((x, i) => times['bare']![i]! / x));
    throughput[name] = {
      eventsPerSecond: Math.round((EVENTS / ms) * 1000),
      ratio: bare / ms,
      cpuRatio: bareCpu / med(cpus[name]!),
      worstRoundRatio: worst,
      baseline: 'bare XState',
    };
    const target = name === 'persisted (fs)' ? `  (target >= 0.97x: ${bare / ms >= 0.97 ? 'met' : 'NOT met'})` : '';
    console.log(
      `  ${name.padEnd(20)} ${String(throughput[name].eventsPerSecond).padStart(9)} ev/s  ${(bare / ms).toFixed(3)}x` +
        `  cpu ${throughput[name].cpuRatio.toFixed(3)}x  worst ${worst.toFixed(3)}x${target}`,
    );
  }
  results['throughput'] = throughput;

  console.log('\nrestore (verify + decode + migrate + validate) vs JSON.parse of the same snapshot');
  const restore: Record<string, { oursMs: number; jsonParseMs: number; ratio: number }> = {};
  const decoder = new TextDecoder();
  for (const [label, bytes] of [
    ['1 KB', 1024],
    ['100 KB', 100 * 1024],
    ['1 MB', 1024 * 1024],
  ] as const) {
    const { m, envelope, json } = restoreCase(bytes);
    const reps = Math.max(1, Math.round(2_000_000 / bytes));
    const ours = async () => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const decoded = await decodeCheckpoint(envelope, [taggedJsonCodec]);
        await prepareCheckpoint(decoded, { logic: m, machineId: 'order', version: 1 });
      }
      return (performance.now() - t0) / reps;
    };
    const baseline = async () => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) JSON.parse(decoder.decode(json));
      return (performance.now() - t0) / reps;
    };
    await ours();
    await baseline();
    const oursMs = await median(ours, 9);
    const jsonParseMs = await median(baseline, 9);
    restore[label] = { oursMs, jsonParseMs, ratio: oursMs / jsonParseMs };
    console.log(
      `  ${label.padEnd(7)} ours ${oursMs.toFixed(3)} ms, JSON.parse ${jsonParseMs.toFixed(3)} ms: ${(oursMs / jsonParseMs).toFixed(2)}x`,
    );
  }
  results['restore'] = restore;
  mkdirSync('test/.tmp/bench', { recursive: true });
  writeFileSync('test/.tmp/bench/persist.json', `${JSON.stringify(results, null, 2)}\n`);
}, 300_000);
