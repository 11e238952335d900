// Long crash run: `npm run test:crash -- --iterations 10000 [--mode naive] [--lanes 2] [--seed N]`.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashLoop } from './fs-harness.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '10000' },
    mode: { type: 'string', default: 'adapter' },
    lanes: { type: 'string', default: '2' },
    seed: { type: 'string' },
  },
});
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
process.exit(mode === 'adapter' ? (failed || result.childErrors > 0 ? 1 : 0) : failed ? 0 : 1);
