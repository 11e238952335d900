import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestSchema, postgresAvailable, randomSuffix, redisAvailable, redisUrl } from '../server/support.js';

/** The private schema of a {@link describePostgres} block; read its fields inside hooks and tests. */
export interface PostgresEnv {
  /** `xsc_<label>_<random>`, created before the block's first test, dropped after its last. */
  readonly schema: string;
  /** A pool (2 connections) for setting up and inspecting tables. */
  readonly admin: pg.Pool;
}

/** What a {@link describeRedis} block gets: a key prefix of its own and a client for inspecting keys. */
export interface RedisEnv {
  /** `xsc-test-<random>:`; every key under it is deleted after the block's last test. */
  readonly prefix: string;
  /** A client for CONFIG, KEYS and the like; read it inside hooks and tests. */
  readonly admin: Redis;
}

/** A getter that fails clearly when a block's env is read before its `beforeAll` ran. */
function ready<T>(get: () => T | undefined, what: string): () => T {
  return () => {
    const value = get();
    if (value === undefined) throw new Error(`${what} is set up in beforeAll: read it inside hooks and tests`);
    return value;
  };
}

/**
 * A describe block on the test PostgreSQL (test/server/support.ts says where):
 * skipped with one line when no server answers, a failure under CI; inside,
 * a private schema is created before the block's tests and dropped after
 * them (after the block's own `afterAll` hooks).
 *
 * @example
 * ```ts
 * await describePostgres('postgres: leases', 'leases', (env) => {
 *   it('...', async () => {
 *     await env.admin.query(`SELECT 1 FROM "${env.schema}".xstate_checkpoints`);
 *   });
 * });
 * ```
 */
export async function describePostgres(title: string, label: string, body: (env: PostgresEnv) => void): Promise<void> {
  const available = await postgresAvailable();
  describe.skipIf(!available)(title, () => {
    let created: Awaited<ReturnType<typeof createTestSchema>> | undefined;
    beforeAll(async () => {
      created = await createTestSchema(label);
    });
    afterAll(async () => {
      await created?.drop();
    });
    const get = ready(() => created, `the schema of "${title}"`);
    body({
      get schema() {
        return get().schema;
      },
      get admin() {
        return get().admin;
      },
    });
  });
}

/**
 * A describe block on the test Redis: skipped with one line when no server
 * answers, a failure under CI; inside, a key prefix of its own and an admin
 * client, and every key under the prefix deleted after the block's tests.
 *
 * @example
 * ```ts
 * await describeRedis('redis: leases', (env) => {
 *   const make = () => redisAdapter({ url: redisUrl(), prefix: env.prefix });
 * });
 * ```
 */
export async function describeRedis(title: string, body: (env: RedisEnv) => void): Promise<void> {
  const available = await redisAvailable();
  describe.skipIf(!available)(title, () => {
    const prefix = `xsc-test-${randomSuffix()}:`;
    let admin: Redis | undefined;
    beforeAll(() => {
      admin = new Redis(redisUrl());
    });
    afterAll(async () => {
      if (!admin) return;
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    });
    const get = ready(() => admin, `the Redis client of "${title}"`);
    body({
      prefix,
      get admin() {
        return get();
      },
    });
  });
}
