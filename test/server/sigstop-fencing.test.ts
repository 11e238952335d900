import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { runSigstopLoop, type SigstopResult } from './sigstop-loop.js';
import {
  createTestSchema,
  pgConfig,
  pgUrl,
  postgresAvailable,
  randomSuffix,
  redisAvailable,
  redisUrl,
} from './support.js';

// Issue 12: a writer paused (SIGSTOP) past its lease, another process takes the key and
// writes, the first resumes: 0 stale generations acknowledged, 0 owners halted, 0
// acknowledged losses. A short loop here; `npm run test:crash:servers` runs 50 per store.
const [pgReady, redisReady] = await Promise.all([postgresAvailable(), redisAvailable()]);
const RUNS = Number(process.env.XSC_SIGSTOP_RUNS ?? 4);
const TTL = 600;

const expectClean = (name: string, result: SigstopResult) => {
  console.log(
    `${name} SIGSTOP loop: ${result.runs} runs, ${result.staleAcknowledged} stale acknowledged, ${result.ownersHalted} owners halted, ${result.acknowledgedLosses} acknowledged losses, ${result.notFenced} not fenced`,
  );
  expect(result.failures).toEqual([]);
  expect(result.runs).toBe(RUNS);
};

describe.skipIf(!pgReady)('postgres: fencing holds for a writer paused by SIGSTOP', () => {
  let env: Awaited<ReturnType<typeof createTestSchema>>;
  beforeAll(async () => {
    env = await createTestSchema('sigstop');
  });
  afterAll(async () => {
    await env?.drop();
  });
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

describe.skipIf(!redisReady)('redis: fencing holds for a writer paused by SIGSTOP', () => {
  const prefix = `xsc-sigstop-${randomSuffix()}:`;
  afterAll(async () => {
    const admin = new Redis(redisUrl());
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });
  it(`${RUNS} runs`, { timeout: RUNS * 15_000 }, async () => {
    const result = await runSigstopLoop(
      {
        store: 'redis',
        env: { XSC_URL: redisUrl(), XSC_PREFIX: prefix },
        adapter: () => redisAdapter({ url: redisUrl(), prefix, onWarning: () => undefined }),
      },
      { runs: RUNS, ttlMs: TTL },
    );
    expectClean('redis', result);
  });
});
