import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, bench, describe } from 'vitest';
import { createActor, setup, toPromise, type AnyActorLogic } from 'xstate';
import { fromResumable } from 'xstate-checkpoint/durable';

// Items/s of a resumable batch (persistActor + fileAdapter, cursor published
// every 100 items) against the same loop with no persistence (fromResumable
// under a bare actor: the cost of persisting) and against a hand-written
// `for ... await` loop (the cost of the abstraction too). Each item is a
// CSV line parsed and written to a store: a Map (`memory`, about 2-3 µs per
// item, so the kit's share shows as much as it can) or one appended JSON line
// (`file`, a store that does I/O). afterAll runs every variant in its own
// process (resumable-runner.ts), 3 interleaved rounds, and prints ratios of
// the medians by CPU time (user + system, all threads: the checkpoint writes
// included; it stays meaningful when other processes load the machine) and by
// wall time; they also go to test/.tmp/bench/resumable.json.

const ITEMS = 100_000;
const ROUNDS = 3;
const VARIANTS = ['plain', 'resumable', 'persisted-100', 'persisted-100-eager', 'persisted-1'] as const;
const WORKLOADS = ['memory', 'file'] as const;
const runner = fileURLToPath(new URL('./resumable-runner.ts', import.meta.url));

// vitest's own table: the same loop in-process, a small batch, no persistence.
const small = Array.from({ length: 10_000 }, (_, i) => i);
const parentOf = (work: AnyActorLogic) =>
  setup({ actors: { work } }).createMachine({
    initial: 'running',
    states: { running: { invoke: { id: 'work', src: 'work', onDone: 'done' } }, done: { type: 'final' } },
  });
let sink = 0;
describe('10,000 trivial items, in-process', () => {
  bench('plain loop', async () => {
    for (const item of small) sink += await Promise.resolve(item);
  });
  bench('fromResumable (checkpointEvery 100, not persisted)', async () => {
    const logic = fromResumable({
      items: () => small,
      process: ({ item }) => Promise.resolve(item),
      initial: () => 0,
      reduce: (sum, item) => sum + item,
      checkpointEvery: 100,
    });
    await toPromise(createActor(parentOf(logic)).start());
  });
});

interface Timing {
  cpu: number;
  wall: number;
  /** Checkpoints written per run. */
  saves: number;
}

afterAll(() => {
  const samples: Record<string, Timing[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const workload of WORKLOADS) {
      for (const variant of VARIANTS) {
        const out = execFileSync(process.execPath, ['--import', 'tsx', runner, variant, workload, String(ITEMS)], {
          encoding: 'utf8',
        });
        (samples[`${workload}/${variant}`] ??= []).push(JSON.parse(out) as Timing);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const results: Record<string, Record<string, number>> = {};
  console.log(
    `\nresumable batch, ${ITEMS} items (each variant in its own process; median of ${ROUNDS} rounds of 5 runs)\n` +
      '  ratios of items/s by CPU time (wall time in brackets): vs the same fromResumable loop not persisted, and vs a hand-written loop',
  );
  for (const workload of WORKLOADS) {
    const cpuOf = (variant: string) => median(samples[`${workload}/${variant}`]!.map((t) => t.cpu));
    const wallOf = (variant: string) => median(samples[`${workload}/${variant}`]!.map((t) => t.wall));
    console.log(`  store: ${workload}`);
    for (const variant of VARIANTS) {
      const row = {
        cpuMs: cpuOf(variant),
        wallMs: wallOf(variant),
        itemsPerCpuSecond: Math.round((ITEMS / cpuOf(variant)) * 1000),
        saves: median(samples[`${workload}/${variant}`]!.map((t) => t.saves)),
        vsResumable: cpuOf('resumable') / cpuOf(variant),
        vsResumableWall: wallOf('resumable') / wallOf(variant),
        vsPlain: cpuOf('plain') / cpuOf(variant),
        vsPlainWall: wallOf('plain') / wallOf(variant),
      };
      results[`${workload}/${variant}`] = row;
      console.log(
        `    ${variant.padEnd(20)} ${String(row.itemsPerCpuSecond).padStart(8)} items/CPU-s ${String(row.saves).padStart(5)} saves` +
          `  vs not persisted ${row.vsResumable.toFixed(3)}x (${row.vsResumableWall.toFixed(2)}x)` +
          `  vs plain loop ${row.vsPlain.toFixed(3)}x (${row.vsPlainWall.toFixed(2)}x)`,
      );
    }
  }
  for (const workload of WORKLOADS) {
    const ratio = results[`${workload}/persisted-100`]!['vsResumable']!;
    console.log(
      `  target >= 0.9x (persisted every 100 vs not persisted, ${workload} store): ${ratio >= 0.9 ? 'met' : 'NOT met'} (${ratio.toFixed(3)}x)`,
    );
  }
  mkdirSync('test/.tmp/bench', { recursive: true });
  writeFileSync('test/.tmp/bench/resumable.json', `${JSON.stringify({ items: ITEMS, results, sink }, null, 2)}\n`);
}, 1_800_000);
