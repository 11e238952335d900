import type { PoolConfig } from 'pg';
import { publicUrl } from '../shared/server-driver.js';
import type { PostgresAdapterOptions } from './options.js';

/**
 * What the pool connects with: the given pool's own settings, or the ones the
 * adapter creates it from.
 *
 * @example
 * ```ts
 * connectConfig({ connectionString: 'postgresql://app@db/app' }).connectionTimeoutMillis; // 10000
 * ```
 */
export const connectConfig = (
  options: Pick<PostgresAdapterOptions, 'pool' | 'poolConfig' | 'connectionString'>,
): PoolConfig =>
  (options.pool as { options?: PoolConfig } | undefined)?.options ?? {
    connectionTimeoutMillis: 10_000,
    ...options.poolConfig,
    ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
  };

/**
 * The server a pool connects to, as a URL without the password (for errors).
 *
 * @example
 * ```ts
 * import { postgresServerName } from 'xstate-checkpoint/adapters/postgres';
 * postgresServerName({ connectionString: 'postgresql://app:secret@db/app' }); // 'postgresql://app@db/app'
 * ```
 */
export function postgresServerName(config: PoolConfig): string {
  if (config.connectionString) return publicUrl(config.connectionString);
  const env = globalThis.process?.env ?? {};
  const host = config.host ?? env['PGHOST'] ?? 'localhost';
  const port = config.port ?? env['PGPORT'] ?? 5432;
  const user = config.user ?? env['PGUSER'];
  const database = config.database ?? env['PGDATABASE'] ?? '';
  return `postgresql://${user ? `${encodeURIComponent(user)}@` : ''}${host}:${port}/${database}`;
}
