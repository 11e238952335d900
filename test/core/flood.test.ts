import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpileTree } from '../journal/kill-build.js';

// Memory is bounded by the payload, not by its shape: a generation of 4 million empty
// objects (12 MB, far inside the 64 MiB byte cap) restored in a process with a 128 MB heap.
const HEAP_MB = 128;
const COUNT = 4_000_000;
let dir: string;
let child: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xsc-flood-'));
  child = await transpileTree('test/core/flood-child.ts', dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(mode: 'capped' | 'uncapped') {
  return spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, child, mode, String(COUNT)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('a flood of tiny values inside the byte cap', () => {
  it('is refused too-large by the value cap and the older generation restored, in a small heap', () => {
    const result = run('capped');
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      restored: number;
      n: number;
      rejected: Array<{ seq: number; code: string; message: string }>;
    };
    expect(out.restored).toBe(1);
    expect(out.n).toBe(1);
    expect(out.rejected).toEqual([expect.objectContaining({ seq: 2, code: 'too-large' })]);
    expect(out.rejected[0]!.message).toContain('maxValues');
  }, 60_000);

  it('without the value cap, the same restore runs out of heap (what the cap prevents)', () => {
    const result = run('uncapped');
    expect(result.status).not.toBe(0);
    expect(`${result.stderr}${String(result.signal)}`).toMatch(/heap out of memory|SIGABRT/i);
  }, 60_000);
});
