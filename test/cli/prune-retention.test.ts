import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistActor, type CheckpointAdapter, type Clock } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { run } from '../../cli/run.js';

const HOUR = 3_600_000;
const counter = createMachine({
  id: 'counter',
  context: { n: 0 },
  on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
});

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text: string) => ((stdout += text), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    stdin: (async function* () {})(),
    cwd,
    now: () => Date.parse('2026-03-10T00:00:00Z'),
  });
  return { code, stdout, stderr };
}

describe('prune with the retention rules of persistActor', () => {
  let dir: string;
  let adapter: CheckpointAdapter;
  /** Generation seq → the ISO hour it was written (three writes a day, five days). */
  const writtenAt = new Map<number, string>();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xsc-cli-prune-'));
    adapter = fileAdapter({ dir });
    let now = Date.parse('2026-03-02T08:00:00Z');
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as never),
    };
    const p = await persistActor(counter, { key: 'c', adapter, clock, flushOnExit: false, retain: { latest: 100 } });
    for (let day = 0; day < 5; day++) {
      for (const hour of [8, 12, 16]) {
        now = Date.parse(`2026-03-0${2 + day}T${String(hour).padStart(2, '0')}:00:00Z`);
        p.actor.send({ type: 'INC' });
        writtenAt.set((await p.flush())!.seq, new Date(now).toISOString().slice(5, 13));
      }
    }
    await p.close();
  }, 60_000);
  afterAll(async () => {
    await adapter.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('--keep-daily 3 --dry-run says what would go and which rule keeps the rest; then prunes that', async () => {
    const before = (await adapter.list('c')).map((g) => g.seq);
    expect(before).toHaveLength(15);
    const dry = await cli(['prune', 'c', '--keep', '2', '--keep-daily', '3', '--dry-run', '--dir', dir, '--json'], dir);
    expect(dry.code).toBe(0);
    const planned = (
      JSON.parse(dry.stdout) as { keys: Array<{ kept: number[]; removed: number[]; keptBy: Record<string, string[]> }> }
    ).keys[0]!;
    const at = (seqs: number[]) => seqs.map((s) => writtenAt.get(s));
    expect(at(planned.kept)).toEqual(['03-06T16', '03-06T12', '03-05T16', '03-04T16']);
    expect(planned.keptBy[planned.kept[0]!]).toEqual(['newest', 'newest-valid', 'latest', 'daily']);
    expect(planned.keptBy[planned.kept[1]!]).toEqual(['latest']);
    expect(planned.keptBy[planned.kept[3]!]).toEqual(['daily']);
    expect(planned.removed).toHaveLength(11);
    expect((await adapter.list('c')).map((g) => g.seq)).toEqual(before);

    const text = await cli(['prune', 'c', '--keep-daily', '3', '--keep-weekly', '2', '--dir', dir], dir);
    expect(text.code).toBe(0);
    // 2026-03-02 is a Monday: the five days are one week, so weekly adds nothing.
    expect(text.stdout).toMatch(
      /^c: removed #\d+(?: #\d+)*; kept #\d+ \(newest, newest-valid, latest, daily, weekly\) #\d+ \(daily\) #\d+ \(daily\)$/m,
    );
    expect(at((await adapter.list('c')).map((g) => g.seq))).toEqual(['03-06T16', '03-05T16', '03-04T16']);
  });

  it('refuses a command line without a rule, a zero count, a bad age or offset (exit 2)', async () => {
    for (const args of [
      ['prune', '--dir', dir],
      ['prune', '--keep-daily', '0', '--dir', dir],
      ['prune', '--keep', '1', '--max-age', '7 days', '--dir', dir],
      ['prune', '--keep-weekly', '1', '--utc-offset=900', '--dir', dir],
    ]) {
      const result = await cli(args, dir);
      expect(result.code, args.join(' ')).toBe(2);
    }
    const aged = await cli(['prune', 'c', '--keep', '3', '--max-age', '1h', '--dry-run', '--dir', dir, '--json'], dir);
    expect(JSON.parse(aged.stdout)).toMatchObject({ retain: { latest: 3, maxAgeMs: HOUR } });
  });
});
