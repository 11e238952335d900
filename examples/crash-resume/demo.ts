// `npm run demo`: an order machine persisted with the filesystem adapter is
// killed with SIGKILL mid-run, restarted, and checked: every acknowledged
// event is still there and the pending courier timer fires at its original
// deadline. Exits non-zero if any check fails.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { COURIER_TIMEOUT_MS } from './machine.js';

interface Line {
  type: string;
  at: number;
  [key: string]: unknown;
}

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const keep = process.argv.includes('--keep');
const dir = await mkdtemp(join(tmpdir(), 'xstate-checkpoint-demo-'));
const t0 = Date.now();
const stamp = (at: number) => `${String(at - t0).padStart(5)} ms`;
const print = (at: number, text: string) => console.log(`  ${stamp(at)}  ${text}`);

/** Runs the worker; `onLine` may return true to have it killed with SIGKILL right there. */
function runWorker(
  phase: 'run' | 'resume',
  onLine: (line: Line) => boolean | void,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, dir, phase], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (text) => {
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        return;
      }
      if (onLine(line) === true) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

console.log(`\nxstate-checkpoint demo: crash and resume (checkpoints in ${dir})\n`);
const acked: string[] = [];
let deadline = 0;
let lastAckedSeq = 0;
// Kill somewhere between 5 and 12 notes after checkout: mid-run, timer pending.
const killAfterNotes = 5 + Math.floor(Math.random() * 8);
let notes = 0;

const first = await runWorker('run', (line) => {
  if (line.type === 'started') print(line.at, `worker started fresh (state "${String(line['state'])}")`);
  if (line.type !== 'ack') return;
  acked.push(String(line['event']));
  lastAckedSeq = Number(line['seq']);
  if (typeof line['deadline'] === 'number') {
    deadline = line['deadline'];
    print(line.at, `acknowledged CHECKOUT (generation ${lastAckedSeq}); courier timer due at +${deadline - t0} ms`);
  } else if (String(line['event']).startsWith('ADD_NOTE')) {
    notes++;
    if (notes === killAfterNotes) {
      print(
        line.at,
        `acknowledged ${acked.length} events so far (last: ${String(line['event'])}, generation ${lastAckedSeq})`,
      );
      print(Date.now(), 'SIGKILL the worker (no chance to flush or clean up)');
      return true;
    }
  }
});
if (first.signal !== 'SIGKILL') {
  console.error(`worker ended unexpectedly (code ${first.code}, signal ${first.signal})`);
  process.exit(1);
}

let restoredFrom: unknown;
let restored: { items: string[]; notes: string[]; totalCents: string } | undefined;
let firedAt = 0;
let resumedAt = 0;
const second = await runWorker('resume', (line) => {
  if (line.type === 'started') {
    const report = line['restored'] as { seq?: number; timersRestored: number; rejected: unknown[] };
    restoredFrom = report.seq;
    resumedAt = line.at;
    print(
      line.at,
      `worker restarted: resumed from generation ${report.seq} (${report.timersRestored} timer re-armed, ${report.rejected.length} generations rejected), state "${String(line['state'])}"`,
    );
  }
  if (line.type === 'restored-context') restored = line as unknown as typeof restored;
  if (line.type === 'timer-fired') {
    firedAt = Number(line['firedAt']);
    print(firedAt, `courier timer fired (deadline was +${deadline - t0} ms)`);
  }
});

const lost = acked.filter((event) => {
  if (!restored) return true;
  if (event.startsWith('ADD_ITEM ')) return !restored.items.includes(event.slice('ADD_ITEM '.length));
  if (event.startsWith('ADD_NOTE ')) return !restored.notes.includes(event.slice('ADD_NOTE '.length));
  return false;
});
// Due at the original deadline, or at once if the worker was down past it.
const dueAt = Math.max(deadline, resumedAt);
const lateBy = firedAt - dueAt;
const timerCheck =
  resumedAt > deadline
    ? `the deadline passed while the worker was down, so the timer fired at once on restore (${lateBy} ms after it)`
    : `pending timer fired at its original deadline (${lateBy} ms after it, not a fresh ${COURIER_TIMEOUT_MS} ms wait)`;
const checks: Array<[boolean, string]> = [
  [second.code === 0, `resume run exited cleanly (code ${second.code})`],
  [
    Number(restoredFrom) >= lastAckedSeq,
    `resumed from generation ${String(restoredFrom)} >= last acknowledged ${lastAckedSeq}`,
  ],
  [
    lost.length === 0,
    `nothing acknowledged was lost: ${acked.length} acknowledged events, ${lost.length} missing${lost.length ? ` (${lost.join(', ')})` : ''}`,
  ],
  [firedAt >= deadline && lateBy >= 0 && lateBy < 1000, timerCheck],
];
console.log('\nChecks:');
for (const [ok, text] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`);
if (restored)
  console.log(
    `\nRestored order: ${restored.items.length} items, ${restored.notes.length} notes, total ${restored.totalCents} cents`,
  );
if (!keep) await rm(dir, { recursive: true, force: true });
else console.log(`Checkpoints kept in ${dir}`);
const failed = checks.filter(([ok]) => !ok).length;
console.log(failed === 0 ? '\nThe machine survived the crash.\n' : `\n${failed} check(s) failed.\n`);
process.exit(failed === 0 ? 0 : 1);
