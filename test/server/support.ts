import { userInfo } from 'node:os';
import pg from 'pg';
import type { PoolConfig } from 'pg';

/** Connection settings for the test server: XSC_PG_URL, else the PG* variables, else 127.0.0.1:5432/test. */
export function pgConfig(): PoolConfig {
  const url = process.env.XSC_PG_URL;
  if (url) return { connectionString: url };
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    database: process.env.PGDATABASE ?? 'test',
    // libpq falls back to the OS account; pg only reads $USER, which is often unset.
    user: process.env.PGUSER ?? process.env.USER ?? userInfo().username,
  };
}

/** Where the test server listens (to put a relay in front of it). */
export function pgTarget(): { host: string; port: number } {
  const c = pgConfig();
  if (c.connectionString) {
    const url = new URL(c.connectionString);
    return { host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) };
  }
  return { host: String(c.host), port: Number(c.port) };
}

/** {@link pgConfig} pointed at another local port (a relay), same user and database. */
export function pgConfigVia(port: number): PoolConfig {
  const c = pgConfig();
  if (!c.connectionString) return { ...c, host: '127.0.0.1', port };
  const url = new URL(c.connectionString);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { connectionString: url.toString() };
}

/** A libpq-style URL for child processes and examples (same server as {@link pgConfig}). */
export function pgUrl(): string {
  const url = process.env.XSC_PG_URL;
  if (url) return url;
  const c = pgConfig();
  const user = c.user ?? 'postgres';
  return `postgresql://${encodeURIComponent(String(user))}@${String(c.host)}:${String(c.port)}/${String(c.database)}`;
}

export const redisUrl = (): string => process.env.XSC_REDIS_URL ?? 'redis://127.0.0.1:6379';

const warned = new Set<string>();

function unavailable(hint: string, cause: unknown): false {
  if (process.env.CI) {
    throw new Error(`${hint} (CI is set, so this is a failure: ${(cause as Error)?.message ?? String(cause)})`);
  }
  if (!warned.has(hint)) {
    warned.add(hint);
    console.warn(hint);
  }
  return false;
}

/** True when the test PostgreSQL answers; otherwise prints one line naming the variables (or throws under CI). */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ ...pgConfig(), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const { host, port } = pgTarget();
    return unavailable(
      `PostgreSQL tests skipped: no server at ${host}:${port}. Set XSC_PG_URL (or PGHOST, PGPORT, PGUSER, PGDATABASE) to run them.`,
      error,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when the test Redis answers PING; otherwise prints one line naming the variable (or throws under CI). */
export async function redisAvailable(): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (error) {
    return unavailable(`Redis tests skipped: no server at ${redisUrl()}. Set XSC_REDIS_URL to run them.`, error);
  } finally {
    client.disconnect();
  }
}

/** A random suffix for schema names and key prefixes, so test files never share state. */
export const randomSuffix = (): string => Math.random().toString(36).slice(2, 10);

/** A private schema for one test file, with an admin pool; `drop()` removes everything. */
export async function createTestSchema(label: string): Promise<{
  schema: string;
  admin: pg.Pool;
  drop(): Promise<void>;
}> {
  const schema = `xsc_${label}_${randomSuffix()}`;
  const admin = new pg.Pool({ ...pgConfig(), max: 2 });
  admin.on('error', () => undefined);
  await admin.query(`CREATE SCHEMA "${schema}"`);
  return {
    schema,
    admin,
    async drop() {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}
