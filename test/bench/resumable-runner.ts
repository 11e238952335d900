// One measurement process of resumable.bench.ts: runs one variant of the
// import batch 7 times (2 warm-up) and prints the median CPU and wall time
// as JSON. A fresh process per variant keeps V8's optimisation of one variant
// from shaping another's, which dominated in-process comparisons.
//
//   resumable-runner.ts <variant> <workload> <items>
//   variant:  plain | resumable | persisted-100 | persisted-100-eager | persisted-1
//             (persisted-*: persistActor + fileAdapter with the default debounce,
//             100 ms / 1 s; eager: debounce 0, a write whenever the last one is done)
//   workload: memory (upsert into a Map) | file (append a JSON line per item)
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createActor, setup, toPromise, type AnyActorLogic } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { fromResumable } from 'xstate-checkpoint/durable';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';

const [variant = 'plain', workload = 'memory', count = '100000'] = process.argv.slice(2);
const ITEMS = Number(count);
v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const lines = Array.from(
  { length: ITEMS },
  (_, i) => `${i},customer ${i},c${i}@example.com,${(i % 997) * 1.25},${i % 2 === 0 ? 'EU' : 'US'}`,
);
const dir = mkdtempSync(join(tmpdir(), 'xsc-bench-resumable-'));
let fd = -1;
let store = new Map<string, unknown>();

async function importLine(line: string): Promise<number> {
  const [id = '', name = '', email = '', amount = '0', region = ''] = line.split(',');
  const row = { id, name, email, amount: Number(amount), region };
  if (fd >= 0) writeSync(fd, `${JSON.stringify(row)}\n`);
  else store.set(id, row);
  return row.amount;
}

const batch = (checkpointEvery: number) =>
  fromResumable({
    items: () => lines,
    process: ({ item }) => importLine(item),
    initial: () => 0,
    reduce: (sum, amount) => sum + amount,
    checkpointEvery,
  });
const parentOf = (work: AnyActorLogic) =>
  setup({ actors: { work } }).createMachine({
    id: 'import',
    initial: 'running',
    states: { running: { invoke: { id: 'work', src: 'work', onDone: 'done' } }, done: { type: 'final' } },
  });

let key = 0;
let saves = 0;
const persisted = async (checkpointEvery: number, eager = false) => {
  const p = await persistActor(parentOf(batch(checkpointEvery)), {
    key: `batch-${key++}`,
    adapter: fileAdapter({ dir: join(dir, 'store') }),
    flushOnExit: false,
    ...(eager ? { debounce: { wait: 0, maxWait: 0 } } : {}),
    onEvent: (event) => {
      if (event.type === 'save') saves++;
    },
  });
  await toPromise(p.actor);
  await p.close(); // done and durable
};

const variants: Record<string, () => Promise<unknown>> = {
  plain: async () => {
    let sum = 0;
    for (const line of lines) sum += await importLine(line);
    return sum;
  },
  resumable: () => toPromise(createActor(parentOf(batch(100))).start()),
  'persisted-100': () => persisted(100),
  'persisted-100-eager': () => persisted(100, true),
  'persisted-1': () => persisted(1),
};
const run = variants[variant];
if (!run) throw new TypeError(`unknown variant ${variant}`);

const cpu: number[] = [];
const wall: number[] = [];
const savesPerRun: number[] = [];
for (let round = 0; round < 7; round++) {
  saves = 0;
  store = new Map();
  fd = workload === 'file' ? openSync(join(dir, 'rows.jsonl'), 'w') : -1;
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const used = process.cpuUsage(cpu0);
  wall.push(performance.now() - t0);
  cpu.push((used.user + used.system) / 1000);
  savesPerRun.push(saves);
  if (fd >= 0) closeSync(fd);
}
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]) => xs.slice(2).sort((a, b) => a - b)[2]!;
process.stdout.write(`${JSON.stringify({ cpu: median(cpu), wall: median(wall), saves: median(savesPerRun) })}\n`);
