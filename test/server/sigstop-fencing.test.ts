import { expect, it } from 'vitest';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { runSigstopLoop, type SigstopResult } from './sigstop-loop.js';
import { describePostgres, describeRedis } from '../helpers/servers.js';
import { pgConfig, pgUrl, redisUrl } from './support.js';

// Issue 12: a writer paused (SIGSTOP) past its lease, another process takes the key and
// writes, the first resumes: 0 stale generations acknowledged, 0 owners halted, 0
// acknowledged losses. A short loop here; `npm run test:crash:servers` runs 50 per store.
const RUNS = Number(process.env.XSC_SIGSTOP_RUNS ?? 4);
const TTL = 600;

const expectClean = (name: string, result: SigstopResult) => {
  console.log(
    `${name} SIGSTOP loop: ${result.runs} runs, ${result.staleAcknowledged} stale acknowledged, ${result.ownersHalted} owners halted, ${result.acknowledgedLosses} acknowledged losses, ${result.notFenced} not fenced`,
  );
  expect(result.failures).toEqual([]);
  expect(result.runs).toBe(RUNS);
};

await describePostgres('postgres: fencing holds for a writer paused by SIGSTOP', 'sigstop', (env) => {
  it(`${RUNS} runs`, { timeout: RUNS * 15_000 }, async () => {
    const result = await runSigstopLoop(
      {
        store: 'postgres',
        env: { XSC_URL: pgUrl(), XSC_SCHEMA: env.schema },
        adapter: () => postgresAdapter({ poolConfig: { ...pgConfig(), max: 2 }, schema: env.schema }),
      },
      { runs: RUNS, ttlMs: TTL },
    );
    expectClean('postgres', result);
  });
});

await describeRedis('redis: fencing holds for a writer paused by SIGSTOP', (env) => {
  it(`${RUNS} runs`, { timeout: RUNS * 15_000 }, async () => {
    const result = await runSigstopLoop(
      {
        store: 'redis',
        env: { XSC_URL: redisUrl(), XSC_PREFIX: env.prefix },
        adapter: () => redisAdapter({ url: redisUrl(), prefix: env.prefix, onWarning: () => undefined }),
      },
      { runs: RUNS, ttlMs: TTL },
    );
    expectClean('redis', result);
  });
});
