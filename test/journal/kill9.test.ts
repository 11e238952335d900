// kill -9 loop for journal mode on the file store: a child process restores
// several journaled actors (lanes), sends numbered events from 8 concurrent
// senders per lane and prints each acknowledgement after its promise
// resolved; the parent SIGKILLs it at a random moment, and the next child's
// restore must contain every acknowledged event of every lane, in order.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpileTree } from './kill-build.js';

/** Journal recoveries to check (process kills times lanes); JOURNAL_KILL_ITERATIONS changes it, never below 1,000 in CI. */
const requested = Number(process.env['JOURNAL_KILL_ITERATIONS'] ?? 1000);
const ITERATIONS = process.env['CI'] ? Math.max(1000, requested) : requested;
const LANES = 8;
const RUNNERS = 3;
const COMPACT_EVERY = 50;

interface Line {
  t: string;
  lane?: number;
  id?: number;
  next?: number;
  gaps?: number;
  replayed?: number;
  torn?: boolean;
  corrupt?: string | null;
  code?: string;
  message?: string;
}

let work = '';
let child = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xsc-journal-kill-'));
  child = await transpileTree('test/journal/kill-child.ts', join(work, 'build'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Runs one child; `killAfterMs` (from its first ack or, if negative, from its start) SIGKILLs it. */
function runChild(
  dir: string,
  mode: 'run' | 'verify',
  killAfterMs: number,
): Promise<{ lines: Line[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, String(LANES), String(COMPACT_EVERY), mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Line[] = [];
    let stderr = '';
    let killed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const kill = () => {
      if (!killed) killed = proc.kill('SIGKILL');
    };
    if (mode === 'run' && killAfterMs < 0) timer = setTimeout(kill, -killAfterMs);
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: proc.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as Line;
      lines.push(line);
      if (mode === 'run' && line.t === 'ack' && timer === undefined) timer = setTimeout(kill, killAfterMs);
    });
    // A child that never acknowledges anything is stuck: fail rather than hang.
    const guard = setTimeout(() => {
      kill();
      reject(new Error(`child did not finish: ${stderr}`));
    }, 60_000);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (!killed && code !== 0) reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve({ lines, killed });
    });
  });
}

interface Tally {
  kills: number;
  acknowledged: number;
  lost: number;
  torn: number;
  replayed: number;
  failures: string[];
}

/** One store: kill, restore (in the next child), check, repeat. */
async function runner(dir: string, kills: number, tally: Tally): Promise<void> {
  const maxAcked = Array.from({ length: LANES }, () => 0);
  const check = (restored: Line[], after: number) => {
    for (const r of restored) {
      const lane = r.lane!;
      if (r.corrupt) tally.failures.push(`kill ${after}, lane ${lane}: journal reported corrupt: ${r.corrupt}`);
      if (r.gaps !== 0) tally.failures.push(`kill ${after}, lane ${lane}: ${r.gaps} events out of order`);
      // Every acknowledged id is below the restored `next`: nothing acknowledged was lost.
      if (maxAcked[lane]! >= r.next!) {
        tally.lost += maxAcked[lane]! - r.next! + 1;
        tally.failures.push(
          `kill ${after}, lane ${lane}: acknowledged up to ${maxAcked[lane]}, restored next ${r.next}`,
        );
      }
      if (r.torn) tally.torn++;
      tally.replayed += r.replayed!;
    }
  };
  for (let k = 0; k < kills; k++) {
    // Mostly during sending (0-60 ms after the first ack); sometimes while restoring or compacting at start.
    const delay = Math.random() < 0.15 ? -(20 + Math.floor(Math.random() * 200)) : Math.floor(Math.random() * 60);
    const { lines, killed } = await runChild(dir, 'run', delay);
    for (const l of lines.filter((x) => x.t === 'error'))
      tally.failures.push(`kill ${k}: child error ${l.code} ${l.message}`);
    check(
      lines.filter((l) => l.t === 'restored'),
      k - 1,
    );
    for (const l of lines) if (l.t === 'ack') maxAcked[l.lane!] = Math.max(maxAcked[l.lane!]!, l.id!);
    tally.acknowledged += lines.filter((l) => l.t === 'ack').length;
    if (!killed) tally.failures.push(`kill ${k}: the child exited before it was killed`);
    tally.kills++;
  }
  const last = await runChild(dir, 'verify', 0);
  check(
    last.lines.filter((l) => l.t === 'restored'),
    kills - 1,
  );
}

describe('journal mode under kill -9', () => {
  it(`fs journal: 0 acknowledged events lost over ${ITERATIONS} lane recoveries (${LANES} journaled actors per killed process)`, async () => {
    const kills = Math.ceil(ITERATIONS / LANES);
    const tally: Tally = { kills: 0, acknowledged: 0, lost: 0, torn: 0, replayed: 0, failures: [] };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: RUNNERS }, (_, r) => runner(join(work, `store-${r}`), Math.ceil(kills / RUNNERS), tally)),
    );
    console.log(
      `journal kill -9: ${tally.kills} kills x ${LANES} lanes = ${tally.kills * LANES} recoveries, ` +
        `${tally.acknowledged} acknowledged events, ${tally.lost} lost, ${tally.torn} torn tails cut, ` +
        `${tally.replayed} entries replayed, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    expect(tally.failures.slice(0, 10)).toEqual([]);
    expect(tally.lost).toBe(0);
    expect(tally.kills * LANES).toBeGreaterThanOrEqual(ITERATIONS);
    // The kills must land while events are in flight, not only between runs.
    expect(tally.acknowledged).toBeGreaterThan(tally.kills);
    expect(tally.replayed).toBeGreaterThan(0);
  }, 400_000);
});
