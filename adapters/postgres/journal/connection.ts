import type { Pool, PoolClient } from 'pg';
import { CheckpointError } from '../../../src/errors.js';
import { checkKey } from '../../../src/keys.js';
import { loadDriver } from '../../shared/server-driver.js';
import { connectConfig } from '../connection-config.js';
import { ignore } from '../pool.js';
import { createLocked } from '../prepared.js';
import { names, schemaSql } from '../statements.js';
import { journalFailure, NAME, type JournalIo } from './context.js';
import { journalSchemaSql } from './statements.js';

/** The pool: the given one, or one the journal creates on first use (loading `pg` then). */
function getPool(io: JournalIo): Promise<Pool> {
  if (io.pool) return Promise.resolve(io.pool);
  io.poolPromise ??= loadDriver(NAME, 'pg', () => import('pg')).then((pg) => {
    // No `pool` option here, so these are the settings from the connection options.
    const created = new pg.default.Pool(connectConfig(io.options));
    // An idle client whose backend dies emits 'error' on the pool; unheard it would crash the process.
    created.on('error', () => undefined);
    io.ownPool = created;
    io.pool = created;
    return created;
  });
  return io.poolPromise;
}

/** Creates the journal's tables, and the adapter's (appends read its lease epochs), once, when one is missing. */
function ensureSchema(io: JournalIo, p: Pool): Promise<void> {
  const { t, options } = io;
  io.ready ??= (async () => {
    const found = await p.query<{ ready: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS ready',
      [t.journal, t.aside, t.heads],
    );
    if (found.rows[0]?.ready) return;
    const client = await p.connect();
    client.on('error', ignore);
    try {
      await createLocked(client, `xstate-checkpoint:${t.journal}`, [schemaSql(names(options)), journalSchemaSql(t)]);
    } finally {
      // A pooled client lives on: one listener left per journal that made its tables piled up.
      client.off('error', ignore);
      client.release();
    }
  })().catch((error: unknown) => {
    io.ready = undefined;
    throw error;
  });
  return io.ready;
}

/**
 * Refuses a call after `dispose()` (`closed`) and a key the contract refuses.
 *
 * @example
 * ```ts
 * openJournalKey(io, 'order-1');
 * ```
 */
export function openJournalKey(io: JournalIo, key: string): void {
  if (io.disposed) throw new CheckpointError('closed', { key, adapter: NAME });
  checkKey(key, NAME);
}

/**
 * Runs `fn` on a pooled client (the tables made first when `createTable`);
 * refuses a call after `dispose()` (`closed`) and a key the contract refuses.
 * Failures are typed and say `action`.
 *
 * @example
 * ```ts
 * await withClient(io, 'order-1', 'truncate the journal', (c) => c.query(io.sql.truncate, ['order-1', 3]));
 * ```
 */
export async function withClient<R>(
  io: JournalIo,
  key: string,
  action: string,
  fn: (c: PoolClient) => Promise<R>,
): Promise<R> {
  openJournalKey(io, key);
  let client: PoolClient;
  try {
    const p = await getPool(io);
    if (io.createTable) await ensureSchema(io, p);
    client = await p.connect();
  } catch (error) {
    throw journalFailure(io, error, key, action);
  }
  // Pooled clients live on: a listener added per call and never removed piled up one per
  // append (Node's MaxListenersExceededWarning after ten appends on a client).
  client.on('error', ignore);
  let lost: Error | undefined;
  try {
    return await fn(client);
  } catch (error) {
    const mapped = journalFailure(io, error, key, action);
    // A client whose connection failed must not go back into the pool (the next call would get it).
    if (mapped.code === 'connection') lost = error as Error;
    throw mapped;
  } finally {
    client.off('error', ignore);
    client.release(lost);
  }
}
