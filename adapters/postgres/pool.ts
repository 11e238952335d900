import type { Pool } from 'pg';
import { connectConfig } from './connection-config.js';
import type { PostgresIo } from './context.js';
import { failure } from './errors.js';
import { createLocked } from './prepared.js';
import { schemaSql } from './statements.js';

/**
 * The `'error'` listener of a checked-out client: a lost connection is
 * reported by the failed query, and an unheard event would crash the process.
 *
 * @example
 * ```ts
 * client.on('error', ignore);
 * ```
 */
export const ignore = (): void => undefined;

/**
 * The pool: the given one, or one the adapter creates from its options on
 * first use (loading `pg` then; `driver-missing` when it cannot).
 *
 * @example
 * ```ts
 * const client = await (await getPool(io)).connect();
 * ```
 */
export async function getPool(io: PostgresIo): Promise<Pool> {
  if (io.pool) return io.pool;
  io.poolPromise ??= (async () => {
    const pg = await io.loadPg();
    const PoolClass = pg.default.Pool;
    const created = new PoolClass(connectConfig(io.options));
    // An idle client whose backend dies emits 'error' on the pool; without a
    // listener that would crash the process. The next query reconnects.
    created.on('error', () => undefined);
    io.ownPool = created;
    io.pool = created;
    return created;
  })();
  return io.poolPromise;
}

/**
 * Creates the schema, tables and index when one is missing, once per adapter
 * (a failure is tried again by the next call).
 *
 * @example
 * ```ts
 * if (io.createTable) await ensureSchema(io, await getPool(io));
 * ```
 */
export function ensureSchema(io: PostgresIo, p: Pool): Promise<void> {
  const { n } = io;
  io.ready ??= (async () => {
    const client = await p.connect();
    client.on('error', ignore);
    try {
      // DDL takes table locks that wait for (and block) writes even when nothing is
      // missing, so a new adapter on a busy table only looks.
      const found = await client.query<{ ready: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS ready',
        [n.gens, n.heads, n.quarantineIndexQualified],
      );
      if (found.rows[0]?.ready) {
        client.off('error', ignore);
        client.release();
        return;
      }
      await createLocked(client, `xstate-checkpoint:${n.qualified}`, [schemaSql(n)]);
      client.off('error', ignore);
      client.release();
    } catch (error) {
      client.off('error', ignore);
      client.release(error as Error);
      throw error;
    }
  })().catch((error: unknown) => {
    io.ready = undefined;
    throw failure(error, { detail: `could not create the tables: ${(error as Error).message}` }, io.server);
  });
  return io.ready;
}
