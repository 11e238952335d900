// Long SIGSTOP fencing loop on the server stores (issue 12):
// `npm run test:crash:servers -- --runs 50 [--store postgres|redis]`. Exits 1 on any stale
// acknowledgement, halted owner, acknowledged loss or unfenced writer; a store whose server
// is absent is skipped with a line saying how to enable it (and fails under CI).
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { postgresAdapter } from '../../adapters/postgres/index.js';
import { redisAdapter } from '../../adapters/redis/index.js';
import { runSigstopLoop, type SigstopResult, type SigstopTarget } from '../server/sigstop-loop.js';
import {
  createTestSchema,
  pgConfig,
  pgUrl,
  postgresAvailable,
  randomSuffix,
  redisAvailable,
  redisUrl,
} from '../server/support.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    store: { type: 'string' },
    ttl: { type: 'string', default: '600' },
  },
});
const runs = Number(values.runs);
const ttlMs = Number(values.ttl);
const stores = values.store === undefined ? ['postgres', 'redis'] : [values.store];
let failed = false;

const report = (name: string, result: SigstopResult) => {
  process.stdout.write(
    `${name}: ${result.runs} runs, ${result.staleAcknowledged} stale acknowledged, ${result.ownersHalted} owners halted, ` +
      `${result.acknowledgedLosses} acknowledged losses, ${result.notFenced} not fenced\n`,
  );
  for (const failure of result.failures) process.stdout.write(`  ${failure}\n`);
  if (result.failures.length > 0) failed = true;
};
const progress = (name: string) => (done: number, r: SigstopResult) => {
  if (done % 10 === 0) process.stdout.write(`${name} ${done}/${runs}: ${r.failures.length} failures\n`);
};

async function loop(name: string, target: SigstopTarget): Promise<void> {
  report(name, await runSigstopLoop(target, { runs, ttlMs, onRun: progress(name) }));
}

if (stores.includes('postgres') && (await postgresAvailable())) {
  const env = await createTestSchema('sigstoprun');
  try {
    await loop('postgres', {
      store: 'postgres',
      env: { XSC_URL: pgUrl(), XSC_SCHEMA: env.schema },
      adapter: () => postgresAdapter({ poolConfig: { ...pgConfig(), max: 2 }, schema: env.schema }),
    });
  } finally {
    await env.drop();
  }
}
if (stores.includes('redis') && (await redisAvailable())) {
  const prefix = `xsc-sigstop-run-${randomSuffix()}:`;
  try {
    await loop('redis', {
      store: 'redis',
      env: { XSC_URL: redisUrl(), XSC_PREFIX: prefix },
      adapter: () => redisAdapter({ url: redisUrl(), prefix, onWarning: () => undefined }),
    });
  } finally {
    const admin = new Redis(redisUrl());
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  }
}
process.exit(failed ? 1 : 0);
