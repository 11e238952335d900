// kill -9 tests of durable work: a 10,000-item fromResumable batch and a
// withRetry call, each in a child process persisted with persistActor and
// fileAdapter, killed with SIGKILL at random moments and restarted on the same
// store until the work is done.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { taggedJsonCodec } from 'xstate-checkpoint';
import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { foldWeight, weight, type BatchOutput } from './batch-data.js';

const worker = fileURLToPath(new URL('./batch-worker.ts', import.meta.url));
const ITEMS = 10_000;
/** Kills per run of the batch test; raise with XSC_BATCH_KILLS for a longer soak. */
const KILLS = Number(process.env['XSC_BATCH_KILLS'] ?? 5);
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Line {
  type: string;
  [key: string]: unknown;
}

interface RunResult {
  lines: Line[];
  killed: boolean;
  code: number | null;
}

/** Starts the worker; `killWhen` may return true for a line to SIGKILL it right there. */
function runWorker(args: string[], killWhen: (line: Line) => boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Line[] = [];
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = child.kill('SIGKILL');
    };
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as Line;
      lines.push(line);
      if (killWhen(line)) kill();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!killed && code !== 0) reject(new Error(`worker exited with ${code}: ${stderr}`));
      else resolve({ lines, killed, code });
    });
  });
}

/** The newest durable checkpoint's persisted snapshot, read the way a restore reads it. */
async function newestCheckpoint(store: string, key: string): Promise<Record<string, unknown> | undefined> {
  const adapter = fileAdapter({ dir: store });
  try {
    const [newest] = await adapter.list(key);
    if (!newest) return undefined;
    const bytes = await adapter.read(key, newest.seq);
    const data = taggedJsonCodec.decode(openEnvelope(bytes!).payload) as { snapshot: Record<string, unknown> };
    return data.snapshot;
  } finally {
    await adapter.dispose();
  }
}

const readLog = async (file: string): Promise<string[]> => {
  const text = await readFile(file, 'utf8').catch(() => '');
  // A line cut off by the kill (no newline yet) is a side effect that did not finish.
  return text.split('\n').slice(0, -1);
};

describe('kill -9 during durable work', () => {
  it(
    'a 10,000-item batch: each restart redoes only items past the durable cursor; the result equals an uninterrupted run',
    { timeout: 180_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'xsc-batch-'));
      dirs.push(dir);
      const store = join(dir, 'store');
      const log = join(dir, 'processed.log');
      let kills = 0;
      let output: unknown;
      const redone: number[] = [];
      for (let run = 0; output === undefined; run++) {
        if (run > KILLS + 3) throw new Error(`not done after ${run} runs`);
        const snapshot = await newestCheckpoint(store, 'batch');
        const child = (snapshot?.['children'] as Record<string, { snapshot: { cursor: { index: number } } }>)?.['work'];
        // No checkpoint or still idle: 0; finished: all; else the child's durable cursor.
        const cursor = snapshot?.['status'] === 'done' ? ITEMS : (child?.snapshot.cursor.index ?? 0);
        const before = await readLog(log);
        const logged = new Set(before.map(Number));
        // The durable cursor never runs ahead of the side effects: everything before it was done.
        for (let i = 0; i < cursor; i++)
          if (!logged.has(i)) throw new Error(`cursor ${cursor} but item ${i} never ran`);

        // Kill a random 200-1,200 items into the run (the worker reports every 100), until KILLS kills.
        const target = cursor + 200 + Math.floor(Math.random() * 1000);
        const result = await runWorker(
          ['batch', store, log, String(ITEMS)],
          (line) => kills < KILLS && line.type === 'progress' && Number(line['done']) >= target,
        );
        const items = (await readLog(log)).slice(before.length).map(Number);
        // This run started exactly at the durable cursor and went on in order.
        expect(items, `run ${run}`).toEqual(items.map((_, i) => cursor + i));
        if (before.length > 0) redone.push(items.filter((i) => logged.has(i)).length);
        if (result.killed) kills++;
        else output = result.lines.find((line) => line.type === 'done')?.['output'];
      }

      const all = new Set((await readLog(log)).map(Number));
      expect(all.size).toBe(ITEMS);
      expect([...all].every((i) => Number.isInteger(i) && i >= 0 && i < ITEMS)).toBe(true);
      let expected: BatchOutput = { count: 0, sum: 0 };
      for (let i = 0; i < ITEMS; i++) expected = foldWeight(expected, weight(i));
      expect(output).toEqual(expected);
      expect(kills).toBe(KILLS);
      // Redone after a kill: only the window between the last durable checkpoint and the kill.
      console.log(`batch: ${kills} kills, items redone per restart: ${redone.join(', ')}`);
    },
  );

  it(
    'a call failing 3 times: killed during every wait, it spends the uninterrupted 4 attempts, none early',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'xsc-retry-'));
      dirs.push(dir);
      const store = join(dir, 'store');
      const log = join(dir, 'calls.log');
      type Wait = { attempt: number; retryAt: number };
      const waits: Wait[] = [];
      const reannounced: Array<{ seen: Wait; wait: Wait }> = [];
      let output: unknown;
      let kills = 0;
      for (let run = 0; output === undefined; run++) {
        if (run > 12) throw new Error(`not done after ${run} runs`);
        const result = await runWorker(['retry', store, log], (line) => {
          if (line.type !== 'waiting') return false;
          const wait = { attempt: Number(line['attempt']), retryAt: Number(line['retryAt']) };
          const seen = waits.find((w) => w.attempt === wait.attempt);
          // A fast restart lands inside the same wait and announces it again: its deadline
          // must be the durable one (not restarted), and it is not killed a second time.
          if (seen) {
            reannounced.push({ seen, wait });
            return false;
          }
          waits.push(wait);
          return true;
        });
        if (result.killed) kills++;
        else output = result.lines.find((line) => line.type === 'done')?.['output'];
      }
      const calls = (await readLog(log)).map(Number);
      expect(output).toEqual({ calls: 4 });
      expect(calls).toHaveLength(4);
      expect(kills).toBe(3);
      expect(waits.map((w) => w.attempt)).toEqual([1, 2, 3]);
      for (const { seen, wait } of reannounced) expect(wait.retryAt).toBe(seen.retryAt);
      console.log(`retry: ${kills} kills, ${reannounced.length} waits announced again by a restart inside them`);
      // Policy: 800 ms, then 1000 ms, then 1250 ms after each failed call; never earlier across the restart.
      [800, 1000, 1250].forEach((delay, i) => {
        expect(waits[i]!.retryAt - calls[i]!).toBeGreaterThanOrEqual(delay);
        expect(waits[i]!.retryAt - calls[i]!).toBeLessThan(delay + 200);
        expect(calls[i + 1]!).toBeGreaterThanOrEqual(waits[i]!.retryAt);
      });
    },
  );
});
