import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/crash-resume (npm run demo)', () => {
  it('survives SIGKILL: nothing acknowledged lost, the timer fires at its deadline', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/crash-resume/demo.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('SIGKILL the worker');
    expect(run.stdout).toMatch(/ok {4}nothing acknowledged was lost: \d+ acknowledged events, 0 missing/);
    expect(run.stdout).toMatch(
      /ok {4}(pending timer fired at its original deadline|the deadline passed while the worker was down, so the timer fired at once)/,
    );
    expect(run.stdout).toContain('The machine survived the crash.');
    expect(run.status).toBe(0);
  }, 100_000);
});
