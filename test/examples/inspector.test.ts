import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/inspector', () => {
  it('shows restore, save and quarantine in the inspection stream through @statelyai/inspect', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/inspector/demo.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    // The one line on stderr is the kit's loud notice about the generation the demo damaged.
    const notices = run.stderr.split('\n').filter((line) => line !== '');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^xstate-checkpoint: \[fs\] key "cart-1" generation 2: corrupt: restore passed over generation #2 corrupt and restored the older generation 1 instead; quarantined/,
    );
    const lines = run.stdout.split('\n');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(at('[run 1] checkpoint restore source=fresh')).toBeGreaterThan(at('[run 1] actor'));
    expect(at('[run 1] checkpoint save seq=1')).toBeGreaterThan(at('[run 1] event      ADD'));
    expect(at('[run 1] checkpoint save seq=2')).toBeGreaterThan(at('[run 1] event      CHECKOUT'));
    expect(at('[run 2] checkpoint quarantine seq=2 reason=corrupt')).toBeGreaterThan(at('[run 2] actor'));
    expect(at('[run 2] checkpoint restore source=checkpoint seq=1 quarantined=[2]')).toBeGreaterThan(
      at('[run 2] checkpoint quarantine'),
    );
    expect(run.stdout).toContain('restored: "shopping" with 2 items');
    // The damage is the demo's own doing, and it says so before run 2 reports it.
    expect(run.stdout).toContain('damages its newest\ngeneration on purpose');
    expect(at('(on purpose) flipped the last byte of')).toBeGreaterThan(at('[run 1] checkpoint save seq=2'));
    expect(at('(on purpose) flipped the last byte of')).toBeLessThan(at('[run 2] actor'));
    expect(run.status).toBe(0);
  }, 70_000);
});
