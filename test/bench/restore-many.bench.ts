import { mkdirSync, mkdtempSync, readdirSync, readFile, rmSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { assign, createActor, setup, type Actor } from 'xstate';
import { persistActor, persistAll, taggedJsonCodec, type PersistedActor } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, type FileSystemLike } from 'xstate-checkpoint/adapters/fs';

// 10,000 actors, one checkpoint each in one fileAdapter folder: restore them all
// (persistActor: list, read, verify, decode, create, start; and persistAll, the
// batch API: the same per key after one readNewestMany per 256 keys) against reading the
// same snapshots as JSON files and JSON.parse (the baseline), and against
// that plus createActor({ snapshot }).start() (what a hand-rolled restore also does).
// 32 restores in flight in every variant; rounds alternate which variant goes first.
// Also shown: the same baseline with Node's callback readFile (fs/promises readFile,
// the baseline, takes several times longer per small file on Node 20), and
// every ratio in CPU time (process.cpuUsage: less hurt by other processes' load).
// Open file descriptors are counted before and after (all actors closed).
// Writes test/.tmp/bench/restore-many.json.
// Run: npx vitest bench --run --project node test/bench/restore-many.bench.ts

const ACTORS = Number(process.env.XSC_BENCH_ACTORS ?? 10_000);
const ROUNDS = 5;
const IN_FLIGHT = 32;

const order = setup({
  types: {
    context: {} as {
      orderId: string;
      customer: { id: string; name: string; email: string };
      lines: Array<{ sku: string; qty: number; price: number }>;
      notes: string;
    },
    input: {} as { n: number },
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({
    orderId: `order-${input.n}`,
    customer: { id: `c-${input.n % 997}`, name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: Array.from({ length: 8 }, (_, i) => ({
      sku: `SKU-${(input.n * 31 + i) % 100_003}`,
      qty: 1 + i,
      price: 9.5,
    })),
    notes: 'leave at the door, ring twice'.repeat(8),
  }),
  initial: 'cart',
  states: {
    cart: { on: { CHECKOUT: 'payment' } },
    payment: {
      initial: 'pending',
      states: { pending: { on: { PAID: 'captured' } }, captured: {} },
      on: { ADD: { actions: assign({ notes: ({ context }) => `${context.notes}!` }) } },
    },
  },
});

const root = mkdtempSync(join(tmpdir(), 'xsc-restore-many-'));
const storeDir = join(root, 'store');
const jsonDir = join(root, 'json');
const keyOf = (i: number) => `order-${i}`;
const openFds = () => readdirSync('/proc/self/fd').length;

// Setup is not measured: write without fsync (the bytes and layout are the same).
const noSync: FileSystemLike = {
  ...(fsp as unknown as FileSystemLike),
  async open(path, flags) {
    const handle = await fsp.open(path, flags);
    return Object.assign(handle, { sync: async () => undefined, datasync: async () => undefined });
  },
};

let prepared: Promise<void> | undefined;
function prepare(): Promise<void> {
  return (prepared ??= (async () => {
    mkdirSync(jsonDir, { recursive: true });
    const writer = fileAdapter({ dir: storeDir, fs: noSync });
    await pool(ACTORS, async (i) => {
      const actor = createActor(order, { input: { n: i } }).start();
      actor.send({ type: 'CHECKOUT' });
      const persisted = actor.getPersistedSnapshot();
      actor.stop();
      const payload = taggedJsonCodec.encode({ snapshot: persisted, timers: [] });
      const bytes = encodeEnvelope(
        { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: Date.now(), codec: taggedJsonCodec.id },
        payload,
      );
      await writer.write(keyOf(i), { seq: 1, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
      await fsp.writeFile(join(jsonDir, `${i}.json`), JSON.stringify(persisted));
    });
    await writer.dispose();
  })());
}

/** Runs `task(0..count-1)` with IN_FLIGHT at a time. */
async function pool(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(IN_FLIGHT, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const variants = {
  async persistActor(count: number) {
    const adapter = fileAdapter({ dir: storeDir });
    const actors: Array<PersistedActor<typeof order>> = [];
    const t0 = performance.now();
    await pool(count, async (i) => {
      actors.push(await persistActor(order, { key: keyOf(i), adapter, flushOnExit: false, input: { n: i } }));
    });
    const ms = performance.now() - t0;
    if (actors.some((p) => p.restored.source !== 'checkpoint' || !p.actor.getSnapshot().matches('payment'))) {
      throw new Error('an actor was not restored from its checkpoint');
    }
    await Promise.all(actors.map((p) => p.close()));
    await adapter.dispose();
    return ms;
  },
  async persistAll(count: number) {
    const adapter = fileAdapter({ dir: storeDir });
    const keys = Array.from({ length: count }, (_, i) => keyOf(i));
    const t0 = performance.now();
    const { actors, failed } = await persistAll(order, keys, {
      adapter,
      flushOnExit: false,
      concurrency: IN_FLIGHT,
      perKey: (_key, i) => ({ input: { n: i } }),
    });
    const ms = performance.now() - t0;
    const all = [...actors.values()];
    if (
      failed.size > 0 ||
      all.some((p) => p.restored.source !== 'checkpoint' || !p.actor.getSnapshot().matches('payment'))
    ) {
      throw new Error('an actor was not restored from its checkpoint');
    }
    await Promise.all(all.map((p) => p.close()));
    await adapter.dispose();
    return ms;
  },
  async readParse(count: number) {
    const parsed: unknown[] = [];
    const t0 = performance.now();
    await pool(count, async (i) => {
      parsed.push(JSON.parse(await fsp.readFile(join(jsonDir, `${i}.json`), 'utf8')));
    });
    return performance.now() - t0;
  },
  async readParseCallback(count: number) {
    const parsed: unknown[] = [];
    const read = (path: string) =>
      new Promise<string>((resolve, reject) => {
        readFile(path, 'utf8', (error, text) => (error ? reject(error) : resolve(text)));
      });
    const t0 = performance.now();
    await pool(count, async (i) => {
      parsed.push(JSON.parse(await read(join(jsonDir, `${i}.json`))));
    });
    return performance.now() - t0;
  },
  async readParseStart(count: number) {
    const actors: Array<Actor<typeof order>> = [];
    const t0 = performance.now();
    await pool(count, async (i) => {
      const snapshot = JSON.parse(await fsp.readFile(join(jsonDir, `${i}.json`), 'utf8')) as never;
      actors.push(createActor(order, { snapshot, input: { n: i } }).start());
    });
    const ms = performance.now() - t0;
    for (const actor of actors) actor.stop();
    return ms;
  },
};

afterAll(async () => {
  await prepare();
  const fdBefore = openFds();
  const times: Record<keyof typeof variants, number[]> = {
    persistActor: [],
    persistAll: [],
    readParse: [],
    readParseCallback: [],
    readParseStart: [],
  };
  const cpus: Record<keyof typeof variants, number[]> = {
    persistActor: [],
    persistAll: [],
    readParse: [],
    readParseCallback: [],
    readParseStart: [],
  };
  const names = Object.keys(variants) as Array<keyof typeof variants>;
  await variants.persistActor(1000); // warm-up: JIT and the page cache of every file
  await variants.persistAll(1000);
  await variants.readParse(ACTORS);
  for (let round = 0; round < ROUNDS; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]!;
      const c0 = process.cpuUsage();
      times[name].push(await variants[name](ACTORS));
      const c = process.cpuUsage(c0);
      cpus[name].push((c.user + c.system) / 1000);
    }
  }
  const fdAfter = openFds();
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const ourNames = {
    persistActor: 'persistActor (list, read, verify, decode, create, start)',
    persistAll: 'persistAll (batch: readNewestMany per 256 keys, then the same per key)',
  } as const;
  const row = (ourName: keyof typeof ourNames, baseline: string, name: keyof typeof variants, target?: number) => ({
    metric: `restore ${ACTORS} actors`,
    ours: ourNames[ourName],
    baseline,
    oursMs: median(times[ourName]),
    baselineMs: median(times[name]),
    ratio: median(times[ourName]) / median(times[name]),
    cpuRatio: median(cpus[ourName]) / median(cpus[name]),
    ...(target === undefined ? {} : { target }),
  });
  const rows = (['persistActor', 'persistAll'] as const).flatMap((ourName) => [
    row(ourName, 'readFile + JSON.parse of the same snapshots', 'readParse', 1.5),
    row(ourName, 'fs.readFile (callback) + JSON.parse', 'readParseCallback'),
    row(ourName, 'readFile + JSON.parse + createActor({ snapshot }).start()', 'readParseStart'),
  ]);
  const ours = median(times.persistActor);
  const perActorUs = (ours / ACTORS) * 1000;
  console.log(
    [
      `restore of ${ACTORS} actors from one fileAdapter folder, ${IN_FLIGHT} in flight, median of ${ROUNDS} rounds:`,
      ...rows.map(
        (r) =>
          `  ${r.ours.split(' ')[0]!.padEnd(12)} vs ${r.baseline.padEnd(58)} ours ${r.oursMs.toFixed(0)} ms vs ${r.baselineMs.toFixed(0)} ms: ${r.ratio.toFixed(2)}x (cpu ${r.cpuRatio.toFixed(2)}x)` +
          (r.target ? ` (target <= ${r.target}x: ${r.ratio <= r.target ? 'met' : 'NOT met'})` : ''),
      ),
      `  ${perActorUs.toFixed(0)} µs per actor (persistActor), ${((median(times.persistAll) / ACTORS) * 1000).toFixed(0)} µs (persistAll); open file descriptors ${fdBefore} before, ${fdAfter} after`,
    ].join('\n'),
  );
  const out = new URL('../.tmp/bench/', import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    new URL('restore-many.json', out),
    `${JSON.stringify(
      {
        node: process.version,
        measuredAt: new Date().toISOString(),
        actors: ACTORS,
        inFlight: IN_FLIGHT,
        rounds: ROUNDS,
        fdBefore,
        fdAfter,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  rmSync(root, { recursive: true, force: true });
}, 900_000);

describe(`restore many (vitest's table: 200 actors per task; the ${ACTORS}-actor ratios print after)`, () => {
  const opts = { time: 300, warmupTime: 0, setup: prepare } as const;
  bench('persistActor', () => variants.persistActor(200).then(() => undefined), opts);
  bench('persistAll', () => variants.persistAll(200).then(() => undefined), opts);
  bench('readFile + JSON.parse', () => variants.readParse(200).then(() => undefined), opts);
});
