// Imports a CSV file into a keyed store, resumably:
//
//   npx tsx examples/batch-import/import.ts <file.csv> [data-dir] [--flaky-every N]
//
// Kill it at any moment (Ctrl-C, kill -9, power cut of the process) and run the
// same command again: it resumes at the first row whose write had not
// finished, with a progress line. Checkpoints go to <data-dir>/checkpoints
// (fileAdapter), rows to <data-dir>/customers.jsonl.
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { persistActor, type CheckpointEvent } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { createImportMachine, type Customer } from './importer.js';
import { KeyedStore } from './store.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'flaky-every': { type: 'string' } },
});
const [fileArg, dirArg = '.batch-import'] = positionals;
if (!fileArg) {
  console.error('usage: import.ts <file.csv> [data-dir] [--flaky-every N]');
  process.exit(2);
}
const file = resolve(fileArg);
const dir = resolve(dirArg);
mkdirSync(dir, { recursive: true });

const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).length - 1;
const store = new KeyedStore<Customer>(join(dir, 'customers.jsonl'));
const flakyEvery = values['flaky-every'] === undefined ? undefined : Number(values['flaky-every']);
const machine = createImportMachine({ store, ...(flakyEvery ? { flakyEvery } : {}) });

const tty = process.stdout.isTTY;
let lastStep = -1;
let lastAttempt = 1;
const showProgress = (event: Extract<CheckpointEvent, { type: 'progress' }>) => {
  const total = event.total ?? rows;
  const percent = total === 0 ? 100 : (100 * event.done) / total;
  const attempt = event.attempt ?? 1;
  const retrying = attempt !== lastAttempt && attempt > 1;
  lastAttempt = attempt;
  const text = `progress ${event.done}/${total} rows (${percent.toFixed(1)}%)${retrying ? `, retry: attempt ${attempt}` : ''}`;
  if (tty) process.stdout.write(`\r${text}   `);
  // Piped: one line per 5% and one per retry, so logs stay short.
  else if (Math.floor(percent / 5) !== lastStep || retrying) {
    lastStep = Math.floor(percent / 5);
    process.stdout.write(`${text}\n`);
  }
};

const persisted = await persistActor(machine, {
  key: `import:${basename(file)}`,
  adapter: fileAdapter({ dir: join(dir, 'checkpoints') }),
  input: { file, rows },
  // A checkpoint at least every 100 ms while rows flow: a crash redoes at most that much work.
  debounce: { wait: 20, maxWait: 100 },
  onEvent: (event) => {
    if (event.type === 'progress') showProgress(event);
  },
});
const { actor, restored } = persisted;

if (restored.source === 'checkpoint') {
  const child = actor.getSnapshot().children['import']?.getSnapshot() as { progress?: { done: number } } | undefined;
  const done = actor.getSnapshot().status === 'done' ? rows : (child?.progress?.done ?? 0);
  console.log(`resuming ${basename(file)} at row ${done + 1} of ${rows} (checkpoint ${restored.seq})`);
} else {
  console.log(`importing ${basename(file)}: ${rows} rows`);
}

const finish = async () => {
  await persisted.close();
  const { value, context } = actor.getSnapshot();
  if (tty) process.stdout.write('\n');
  if (value === 'failed') {
    console.error(`import failed: ${context.error}`);
    process.exit(1);
  }
  const summary = context.summary!;
  console.log(
    `done: ${summary.rows} rows, ${(summary.amountCents / 100).toFixed(2)} in all, ` +
      `by country ${JSON.stringify(summary.byCountry)}; store holds ${store.size} customers (${store.writes} writes)`,
  );
};
if (actor.getSnapshot().status === 'done') await finish();
else
  actor.subscribe({
    next: (snapshot) => {
      if (snapshot.status === 'done') void finish();
    },
  });
