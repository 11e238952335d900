import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrashLoop } from './fs-harness.js';

// CRASH_ITERATIONS raises the count for a local soak; `npm run test:crash -- --iterations 10000` is the long run.
const iterations = Math.max(1000, Number(process.env.CRASH_ITERATIONS ?? 1000));
const workDir = join(tmpdir(), `xsc-kill9-${process.pid}`);
// Each kill costs one Node start (~0.1 CPU-s): about a minute on two idle cores.
// The budget turns a machine too slow for 1,000 kills into a clear failure instead of a timeout.
const budgetMs = 540_000;

describe('kill -9 while saving', () => {
  afterAll(() => rm(workDir, { recursive: true, force: true }));

  it(
    `fileAdapter: 0 invalid restores and 0 acknowledged losses over ${iterations} SIGKILLs`,
    async () => {
      const result = await runCrashLoop({
        iterations,
        mode: 'adapter',
        lanes: 3,
        workDir: join(workDir, 'adapter'),
        maxDurationMs: budgetMs,
      });
      console.log(
        `kill -9 loop (seed ${result.seed}): ${result.iterations} kills, ${result.acknowledged} acknowledged saves, ` +
          `${result.invalidRestores} invalid restores, ${result.lostAcknowledged} acknowledged losses, ` +
          `${result.leftoverTemps} temp files found right after a kill, ${(result.durationMs / 1000).toFixed(1)} s`,
      );
      expect(result.failures).toEqual([]);
      expect(result.iterations, `kills done within ${budgetMs / 1000} s`).toBe(iterations);
      // Kills must land during saves, not only before the first one.
      expect(result.acknowledged).toBeGreaterThan(iterations / 20);
      expect(result.invalidRestores).toBe(0);
      expect(result.lostAcknowledged).toBe(0);
      expect(result.invalidGenerations).toBe(0);
    },
    budgetMs + 60_000,
  );

  it('the same harness catches a naive in-place writer (proof it can fail)', async () => {
    const result = await runCrashLoop({ iterations: 40, mode: 'naive', lanes: 2, workDir: join(workDir, 'naive') });
    console.log(
      `kill -9 loop, naive writer (seed ${result.seed}): ${result.iterations} kills, ` +
        `${result.invalidRestores} invalid restores, ${result.lostAcknowledged} acknowledged losses`,
    );
    expect(result.childErrors).toBe(0);
    expect(result.invalidRestores).toBeGreaterThan(0);
    expect(result.lostAcknowledged).toBeGreaterThan(0);
  }, 180_000);
});
