// Where the example's PostgreSQL and Redis are, and whether they answer.
import { userInfo } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';

/** PostgreSQL: `XSC_PG_URL`, else the PG* variables, else 127.0.0.1:5432, database `test`, the OS user. */
export function pgConfig(): pg.PoolConfig {
  if (process.env.XSC_PG_URL) return { connectionString: process.env.XSC_PG_URL };
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    database: process.env.PGDATABASE ?? 'test',
    user: process.env.PGUSER ?? process.env.USER ?? userInfo().username,
  };
}

/** Redis: `XSC_REDIS_URL`, else redis://127.0.0.1:6379. */
export const redisUrl = (): string => process.env.XSC_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** BullMQ's connection options for {@link redisUrl} (BullMQ workers need `maxRetriesPerRequest: null`). */
export function bullConnection(): { host: string; port: number; maxRetriesPerRequest: null } {
  const url = new URL(redisUrl());
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 6379), maxRetriesPerRequest: null };
}

/**
 * `undefined` when both servers answer, else one line saying how to enable them.
 *
 * @example
 * ```ts
 * import { missingServers } from './servers.js';
 * const missing = await missingServers();
 * if (missing) console.log(missing);
 * ```
 */
export async function missingServers(): Promise<string | undefined> {
  const missing: string[] = [];
  const client = new pg.Client({ ...pgConfig(), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch {
    missing.push('PostgreSQL (set XSC_PG_URL or PGHOST/PGPORT/PGUSER/PGDATABASE)');
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    missing.push(`Redis at ${redisUrl()} (set XSC_REDIS_URL)`);
  } finally {
    redis.disconnect();
  }
  return missing.length === 0
    ? undefined
    : `needs ${missing.join(' and ')}; start ${missing.length > 1 ? 'them' : 'it'} to run the demo.`;
}
