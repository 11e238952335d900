// Long crash run: `npm run test:crash -- --iterations 10000 [--mode naive] [--lanes 2] [--seed N] [--sigstop-runs 50]`.
// After the kill -9 loop it runs the SIGSTOP fencing loop (`--mode sigstop` runs only that one).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashLoop } from './fs-harness.js';
import { runPauseLoop } from './fs-sigstop.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '10000' },
    mode: { type: 'string', default: 'adapter' },
    lanes: { type: 'string', default: '2' },
    seed: { type: 'string' },
    'sigstop-runs': { type: 'string', default: '50' },
  },
});

/** The SIGSTOP fencing loop; true when it held (0 stale acknowledged, 0 owners halted, 0 losses). */
async function pauseLoop(): Promise<boolean> {
  const runs = Number(values['sigstop-runs']);
  const result = await runPauseLoop({
    runs,
    workDir: join(tmpdir(), `xsc-sigstop-run-${process.pid}`),
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    onProgress: (done, r) => {
      if (done % 10 === 0 || done === runs) {
        process.stdout.write(
          `${done}/${runs} SIGSTOP runs: ${r.staleAcknowledged} stale acknowledged, ${r.ownersHalted} owners halted, ` +
            `${r.acknowledgedLosses} acknowledged losses, ${r.staleGenerationsPublished} stale generations set aside\n`,
        );
      }
    },
  });
  const { failures, ...summary } = result;
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  for (const failure of failures) process.stdout.write(`  ${failure}\n`);
  return result.staleAcknowledged + result.ownersHalted + result.acknowledgedLosses + result.invalidRestores === 0;
}

if (values.mode === 'sigstop') process.exit((await pauseLoop()) ? 0 : 1);
const mode = values.mode === 'naive' ? 'naive' : 'adapter';
const iterations = Number(values.iterations);
const result = await runCrashLoop({
  iterations,
  mode,
  lanes: Number(values.lanes),
  workDir: join(tmpdir(), `xsc-crash-run-${process.pid}`),
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  onProgress: (done, r) => {
    if (done % 500 === 0 || done === iterations) {
      process.stdout.write(
        `${done}/${iterations} kills: ${r.acknowledged} acknowledged, ${r.invalidRestores} invalid restores, ${r.lostAcknowledged} acknowledged losses\n`,
      );
    }
  },
});
const { failures, ...summary } = result;
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
for (const failure of failures) process.stdout.write(`  ${failure}\n`);
// The adapter must never fail; the naive writer must be caught failing, or the harness proves nothing.
const failed = result.invalidRestores + result.lostAcknowledged + result.invalidGenerations > 0;
if (mode === 'naive') process.exit(failed ? 0 : 1);
const held = await pauseLoop();
process.exit(failed || result.childErrors > 0 || !held ? 1 : 0);
