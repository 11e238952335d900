import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/batch-import (npm run demo:batch)', () => {
  it('survives three SIGKILLs: every row stored once with its content, the summary equal to the file', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/batch-import/demo.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/SIGKILL at \d+ rows reported/);
    expect(run.stdout).toMatch(/resuming customers\.csv at row \d+ of 50000/);
    expect(run.stdout).toContain('ok    the importer was killed 3 times with SIGKILL');
    expect(run.stdout).toContain('ok    the store holds 50000 of 50000 rows');
    expect(run.stdout).toContain('ok    every row is stored with its content');
    expect(run.stdout).toContain('ok    the summary matches the file');
    expect(run.stdout).toContain('The import survived every crash.');
    expect(run.status).toBe(0);
  }, 250_000);
});
