import type { PoolClient, QueryResultRow } from 'pg';
import { crc32 } from '../../src/checksum.js';

/** How one adapter or journal runs its statements, see {@link preparedQuery}. */
export interface Prepared {
  /** `false`: plain statements (poolers that cannot keep prepared ones). */
  readonly prepared: boolean;
  /** Starts every statement name: the adapter's and the journal's never meet. */
  readonly prefix: string;
  /** Names of the prepared statements, by their text. */
  readonly names: Map<string, string>;
}

/**
 * Runs one statement on `c`: as a named prepared statement (parsed and planned
 * once per connection) unless `prepared` is off. The name is made from the
 * text (which holds the table names), so adapters and journals sharing a pool
 * never clash.
 *
 * @example
 * ```ts
 * import { preparedQuery } from './prepared.js';
 * declare const client: import('pg').PoolClient;
 * const p = { prepared: true, prefix: 'xsc', names: new Map<string, string>() };
 * await preparedQuery(p, client, 'SELECT 1', []);
 * ```
 */
export function preparedQuery<R extends QueryResultRow = QueryResultRow>(
  p: Prepared,
  c: PoolClient,
  text: string,
  values?: unknown[],
) {
  if (!p.prepared) return c.query<R>(text, values);
  let name = p.names.get(text);
  if (name === undefined) {
    name = `${p.prefix}_${crc32(new TextEncoder().encode(text)).toString(16)}_${text.length}`;
    p.names.set(text, name);
  }
  return c.query<R>({ name, text, ...(values === undefined ? {} : { values }) });
}

/**
 * Runs `statements` (idempotent DDL) in one transaction under an advisory
 * lock named `lock`, rolling back when one fails.
 *
 * @example
 * ```ts
 * import { createLocked } from './prepared.js';
 * declare const client: import('pg').PoolClient;
 * await createLocked(client, 'xstate-checkpoint:"xstate_checkpoints"', ['CREATE TABLE IF NOT EXISTS t (k text)']);
 * ```
 */
export async function createLocked(c: PoolClient, lock: string, statements: readonly string[]): Promise<void> {
  try {
    await c.query('BEGIN');
    // Concurrent CREATE ... IF NOT EXISTS can still collide in the catalog; serialize them.
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
    for (const sql of statements) await c.query(sql);
    await c.query('COMMIT');
  } catch (error) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
