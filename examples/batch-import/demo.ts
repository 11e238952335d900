// `npm run demo:batch`: writes a 50,000-row CSV, imports it with import.ts,
// kills the importer with SIGKILL three times at random moments, runs it again
// until it finishes, and checks the store: every row there exactly once with
// the right content, and the summary equal to the file's. Exits non-zero if
// a check fails.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Customer } from './importer.js';

const ROWS = 50_000;
const KILLS = 3;
const importer = fileURLToPath(new URL('./import.ts', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'xstate-checkpoint-batch-'));
const csv = join(dir, 'customers.csv');
const countries = ['DE', 'FR', 'NL', 'SE', 'US'];

const expected = new Map<string, Customer>();
const lines = ['id,name,email,amount,country'];
for (let i = 1; i <= ROWS; i++) {
  const customer = {
    id: `c-${i}`,
    name: `Customer ${i}`,
    email: `customer${i}@example.com`,
    amountCents: (i * 7919) % 100_000,
    country: countries[i % countries.length]!,
  };
  expected.set(customer.id, customer);
  lines.push(
    `${customer.id},${customer.name},${customer.email},${(customer.amountCents / 100).toFixed(2)},${customer.country}`,
  );
}
await writeFile(csv, `${lines.join('\n')}\n`);
console.log(`\nxstate-checkpoint demo: a resumable import of ${ROWS} rows, killed ${KILLS} times (data in ${dir})\n`);

/** Runs the importer; kills it with SIGKILL once it reports `killAt` rows done. */
function runImporter(killAt: number | undefined): Promise<{ killed: boolean; output: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', importer, csv, dir, '--flaky-every', '9973'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const output: string[] = [];
    let killed = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      console.log(`  | ${line}`);
      const done = /^progress (\d+)\//.exec(line);
      if (killAt !== undefined && done && Number(done[1]) >= killAt && !killed) {
        killed = child.kill('SIGKILL');
        console.log(`  SIGKILL at ${done[1]} rows reported (no chance to flush or clean up)`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!killed && code !== 0) reject(new Error(`importer exited with code ${code}`));
      else resolve({ killed, output });
    });
  });
}

const failures: string[] = [];
const check = (ok: boolean, text: string) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`);
  if (!ok) failures.push(text);
};

let kills = 0;
let last: string[];
for (let run = 1; ; run++) {
  const killAt =
    kills < KILLS ? Math.round(((kills + 1) / (KILLS + 1)) * ROWS * (0.7 + 0.5 * Math.random())) : undefined;
  console.log(`\nrun ${run}${killAt === undefined ? ' (left to finish)' : ''}`);
  const result = await runImporter(killAt);
  if (!result.killed) {
    last = result.output;
    break;
  }
  kills++;
  if (run > KILLS + 2) throw new Error('the importer never finished');
}

console.log('\nchecks');
const stored = new Map<string, Customer>();
let writes = 0;
for (const line of (await readFile(join(dir, 'customers.jsonl'), 'utf8')).split('\n').slice(0, -1)) {
  const [key, value] = JSON.parse(line) as [string, Customer];
  stored.set(key, value);
  writes++;
}
check(kills === KILLS, `the importer was killed ${kills} times with SIGKILL`);
check(stored.size === ROWS, `the store holds ${stored.size} of ${ROWS} rows`);
check(
  [...expected].every(([id, customer]) => JSON.stringify(stored.get(id)) === JSON.stringify(customer)),
  'every row is stored with its content',
);
check(
  writes >= ROWS,
  `${writes - ROWS} rows were delivered again after a crash (at-least-once) and stored once (upsert by id)`,
);
const total = [...expected.values()].reduce((sum, c) => sum + c.amountCents, 0);
const done = last.find((line) => line.startsWith('done: ')) ?? '';
check(done.startsWith(`done: ${ROWS} rows, ${(total / 100).toFixed(2)} in all`), `the summary matches the file`);
check(
  last.some((line) => line.startsWith('resuming ')),
  'the last run resumed from a checkpoint instead of starting over',
);

if (!process.argv.includes('--keep')) await rm(dir, { recursive: true, force: true });
if (failures.length > 0) {
  console.log(`\n${failures.length} check(s) failed.`);
  process.exit(1);
}
console.log('\nThe import survived every crash.');
