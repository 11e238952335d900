import type { Pool, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import type { JournalEntry, JournalReadResult, JournalStore } from '../../src/adapter.js';
import { crc32 } from '../../src/checksum.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { checkJournalOrder } from '../../src/journal-order.js';
import { checkKey } from '../../src/keys.js';
import {
  postgresAdapter,
  postgresErrorCode,
  postgresSchemaSql,
  postgresServerName,
  type PostgresAdapter,
  type PostgresAdapterOptions,
} from './index.js';
import { loadDriver } from '../shared/server-driver.js';
import { tableNaming } from './sql.js';

/** Options of {@link postgresJournal}. */
export interface PostgresJournalOptions {
  /** A `pg` pool to run on; never ended by the journal. @default a pool from `connectionString` */
  readonly pool?: Pool;
  /** Connection string for the pool the journal creates when no `pool` is given. @default pg's environment defaults */
  readonly connectionString?: string;
  /** Extra settings for a pool the journal creates. @default { connectionTimeoutMillis: 10000 } */
  readonly poolConfig?: PoolConfig;
  /** The adapter's table name: the journal lives in `<table>_journal` (damaged rows in `<table>_journal_aside`). @default 'xstate_checkpoints' */
  readonly table?: string;
  /** Schema of the tables. @default the connection's `search_path` */
  readonly schema?: string;
  /** Create the tables (the adapter's too, for its lease epochs) on first use. @default true */
  readonly createTable?: boolean;
  /**
   * Run the journal's statements as named prepared statements (parsed and
   * planned once per connection). Turn off behind poolers that cannot keep
   * them, such as PgBouncer in transaction mode before 1.21.
   * @default true
   */
  readonly preparedStatements?: boolean;
}

/** A {@link JournalStore} that may own a pool. */
export interface PostgresJournal extends JournalStore {
  /** Ends the pool the journal created; later calls reject with `closed`. */
  dispose(): Promise<void>;
}

const NAME = 'postgres';
const ignore = () => undefined;
const READ_PAGE = 5000;
const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The SQL of the journal's tables (idempotent), for deployments that run
 * migrations themselves (then pass `createTable: false`, and run
 * `postgresSchemaSql` for the adapter's tables too).
 *
 * @example
 * ```ts
 * import { postgresJournalSql } from 'xstate-checkpoint/adapters/postgres-journal';
 * const sql = postgresJournalSql({ schema: 'app', table: 'checkpoints' });
 * ```
 */
export function postgresJournalSql(options: Pick<PostgresJournalOptions, 'table' | 'schema'> = {}): string {
  const t = tableNames(options);
  return `CREATE TABLE IF NOT EXISTS ${t.journal} (
  key text NOT NULL,
  seq bigint NOT NULL,
  epoch bigint NOT NULL,
  checksum bigint NOT NULL,
  payload bytea NOT NULL,
  PRIMARY KEY (key, seq)
);
CREATE TABLE IF NOT EXISTS ${t.aside} (
  key text NOT NULL,
  seq bigint NOT NULL,
  epoch bigint NOT NULL,
  checksum bigint NOT NULL,
  payload bytea NOT NULL,
  set_aside_at timestamptz NOT NULL DEFAULT now()
);`;
}

function tableNames(options: Pick<PostgresJournalOptions, 'table' | 'schema'>) {
  const { table, qualify } = tableNaming(options);
  return {
    journal: qualify(`${table}_journal`),
    aside: qualify(`${table}_journal_aside`),
    heads: qualify(`${table}_heads`),
  };
}

/**
 * The event journal in PostgreSQL: one row per entry (`key`, `seq`, `epoch`,
 * CRC-32 `checksum`, `payload`) in `<table>_journal`. One append is one
 * statement, so one transaction and one commit carry the whole group. The
 * statement reads the key's lease epoch from the adapter's `<table>_heads`
 * row under a share lock (a concurrent `acquire` waits for it, or it for the
 * `acquire`) and refuses an older epoch with `fenced`, a sequence at or below
 * the last stored one with `conflict`. Re-sending an append whose reply was
 * lost succeeds when its rows are there with the same checksums. A truncate
 * (one `DELETE`) runs beside the key's appends, so a compaction holds up no
 * group.
 *
 * `read` verifies each row's checksum and stops at the first bad one; the
 * next append moves the rows from there on into `<table>_journal_aside`
 * (kept, never deleted) and continues after the last good entry.
 *
 * @example
 * ```ts
 * import { postgresJournal } from 'xstate-checkpoint/adapters/postgres-journal';
 * const journal = postgresJournal({ connectionString: 'postgresql://app@db.internal/app' });
 * await journal.append('order-1', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export function postgresJournal(options: PostgresJournalOptions = {}): PostgresJournal {
  const t = tableNames(options);
  const createTable = options.createTable ?? true;
  let pool = options.pool;
  let ownPool: Pool | undefined;
  let poolPromise: Promise<Pool> | undefined;
  let ready: Promise<void> | undefined;
  let disposed = false;
  // Keys whose read found a damaged row: the next append moves the rows from there on aside.
  const damagedAfter = new Map<string, number>();
  const chains = new Map<string, Promise<unknown>>();
  const truncations = new Map<string, Promise<unknown>>();

  const sql = {
    append: `WITH head AS (SELECT epoch FROM ${t.heads} WHERE key = $1 FOR SHARE),
      last AS (SELECT seq, epoch FROM ${t.journal} WHERE key = $1 ORDER BY seq DESC LIMIT 1),
      state AS (SELECT coalesce((SELECT epoch FROM head), 0) AS head_epoch,
        coalesce((SELECT seq FROM last), 0) AS last_seq, coalesce((SELECT epoch FROM last), 0) AS last_epoch),
      ins AS (
        INSERT INTO ${t.journal} (key, seq, epoch, checksum, payload)
        SELECT $1, e.seq, $3, e.checksum, e.payload
        FROM unnest($2::bigint[], $4::bigint[], $5::bytea[]) AS e(seq, checksum, payload), state
        WHERE $3 >= greatest(state.head_epoch, state.last_epoch) AND $6 > state.last_seq
        RETURNING 1)
      SELECT head_epoch, last_seq, last_epoch, (SELECT count(*) FROM ins)::int AS inserted FROM state`,
    same: `SELECT count(*)::int AS n FROM ${t.journal} j
      JOIN unnest($2::bigint[], $3::bigint[]) AS e(seq, checksum) ON j.seq = e.seq AND j.checksum = e.checksum
      WHERE j.key = $1`,
    read: `SELECT seq, checksum, payload FROM ${t.journal} WHERE key = $1 AND seq > $2 ORDER BY seq LIMIT ${READ_PAGE}`,
    rest: `SELECT count(*)::int AS n, coalesce(sum(length(payload)), 0)::float8 AS bytes FROM ${t.journal} WHERE key = $1 AND seq > $2`,
    aside: `WITH moved AS (DELETE FROM ${t.journal} WHERE key = $1 AND seq > $2 RETURNING key, seq, epoch, checksum, payload)
      INSERT INTO ${t.aside} (key, seq, epoch, checksum, payload) SELECT key, seq, epoch, checksum, payload FROM moved`,
    truncate: `DELETE FROM ${t.journal} WHERE key = $1 AND seq <= $2`,
  };

  const prepared = options.preparedStatements ?? true;
  const names = new Map<string, string>();
  /** One statement; named after its text (which holds the table names), so journals sharing a pool never clash. */
  const query = <R extends QueryResultRow = QueryResultRow>(c: PoolClient, text: string, values: unknown[]) => {
    if (!prepared) return c.query<R>(text, values);
    let name = names.get(text);
    if (name === undefined) {
      name = `xscj_${crc32(new TextEncoder().encode(text)).toString(16)}_${text.length}`;
      names.set(text, name);
    }
    return c.query<R>({ name, text, values });
  };

  const poolSettings = (): PoolConfig => ({
    connectionTimeoutMillis: 10_000,
    ...options.poolConfig,
    ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
  });
  const server = postgresServerName((options.pool as { options?: PoolConfig } | undefined)?.options ?? poolSettings());
  const fail = (error: unknown, key: string, action: string, seq?: number) => {
    if (isCheckpointError(error)) return error;
    const code = postgresErrorCode(error);
    // Which server could not be reached or refused the login (its URL without the password).
    const where = code === 'connection' || code === 'auth' ? ` ${server}` : '';
    return new CheckpointError(code, {
      key,
      adapter: NAME,
      seq,
      cause: error,
      detail: `could not ${action}${where}: ${error instanceof Error ? error.message : String(error)}`,
    });
  };

  const getPool = async (): Promise<Pool> => {
    if (pool) return pool;
    poolPromise ??= loadDriver(NAME, 'pg', () => import('pg')).then((pg) => {
      const created = new pg.default.Pool(poolSettings());
      // An idle client whose backend dies emits 'error' on the pool; unheard it would crash the process.
      created.on('error', () => undefined);
      ownPool = created;
      pool = created;
      return created;
    });
    return poolPromise;
  };

  const ensureSchema = (p: Pool): Promise<void> => {
    ready ??= (async () => {
      const found = await p.query<{ ready: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS ready',
        [t.journal, t.aside, t.heads],
      );
      if (found.rows[0]?.ready) return;
      const client = await p.connect();
      client.on('error', ignore);
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`xstate-checkpoint:${t.journal}`]);
        // The adapter's tables too: appends read the lease epoch from its heads table.
        const adapterSql = postgresSchemaSql({
          ...(options.table === undefined ? {} : { table: options.table }),
          ...(options.schema === undefined ? {} : { schema: options.schema }),
        });
        await client.query(adapterSql);
        await client.query(postgresJournalSql(options));
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        // A pooled client lives on: one listener left per journal that made its tables piled up.
        client.off('error', ignore);
        client.release();
      }
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };

  const withClient = async <R>(key: string, action: string, fn: (c: PoolClient) => Promise<R>): Promise<R> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: NAME });
    checkKey(key, NAME);
    let client: PoolClient;
    try {
      const p = await getPool();
      if (createTable) await ensureSchema(p);
      client = await p.connect();
    } catch (error) {
      throw fail(error, key, action);
    }
    // Pooled clients live on: a listener added per call and never removed piled up one per
    // append (Node's MaxListenersExceededWarning after ten appends on a client).
    client.on('error', ignore);
    try {
      return await fn(client);
    } catch (error) {
      throw fail(error, key, action);
    } finally {
      client.off('error', ignore);
      client.release();
    }
  };

  /** Calls for one key (in `queues`) run one after another, in call order. */
  const serialIn = <R>(queues: Map<string, Promise<unknown>>, key: string, fn: () => Promise<R>): Promise<R> => {
    const result = (queues.get(key) ?? Promise.resolve()).then(fn);
    const tail = result.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return result;
  };
  const serial = <R>(key: string, fn: () => Promise<R>): Promise<R> => serialIn(chains, key, fn);

  return {
    append: (key, entries, epoch) =>
      serial(key, () =>
        withClient(key, 'append to the journal', async (c) => {
          checkJournalOrder(key, NAME, entries);
          if (entries.length === 0) return;
          const first = entries[0]!.seq;
          const cut = damagedAfter.get(key);
          if (cut !== undefined) {
            await query(c, sql.aside, [key, cut]);
            damagedAfter.delete(key);
          }
          const seqs = entries.map((e) => e.seq);
          const sums = entries.map((e) => crc32(e.bytes));
          const result = await query<{ head_epoch: string; last_seq: string; last_epoch: string; inserted: number }>(
            c,
            sql.append,
            [key, seqs, epoch, sums, entries.map((e) => toBuffer(e.bytes)), first],
          );
          const row = result.rows[0]!;
          if (row.inserted === entries.length) return;
          const current = Math.max(Number(row.head_epoch), Number(row.last_epoch));
          if (epoch < current) {
            throw new CheckpointError('fenced', {
              key,
              adapter: NAME,
              seq: first,
              detail: `epoch ${epoch} is older than the key's epoch ${current}`,
            });
          }
          // A resend of an append that landed before its reply was lost: the same rows are there.
          const same = await query<{ n: number }>(c, sql.same, [key, seqs, sums]);
          if (same.rows[0]!.n === entries.length) return;
          throw new CheckpointError('conflict', {
            key,
            adapter: NAME,
            seq: first,
            detail: `journal entry ${row.last_seq} already exists`,
          });
        }),
      ),
    read: (key, afterSeq) =>
      serial(key, () =>
        withClient(key, 'read the journal', async (c): Promise<JournalReadResult> => {
          const entries: JournalEntry[] = [];
          let last = afterSeq;
          for (;;) {
            const page = await query<{ seq: string; checksum: string; payload: Buffer }>(c, sql.read, [key, last]);
            for (const row of page.rows) {
              const seq = Number(row.seq);
              const bytes = new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength);
              if (crc32(bytes) !== Number(row.checksum)) {
                damagedAfter.set(key, last);
                const rest = await query<{ bytes: number }>(c, sql.rest, [key, last]);
                return {
                  entries,
                  corrupt: {
                    afterSeq: last,
                    byteLength: rest.rows[0]!.bytes,
                    reason: `entry ${seq} checksum mismatch`,
                  },
                };
              }
              entries.push({ seq, bytes });
              last = seq;
            }
            if (page.rows.length < READ_PAGE) return { entries };
          }
        }),
      ),
    // Beside the key's appends and reads (in order among themselves): the DELETE never touches a row
    // an append writes, and each statement sees the rows before or after it whole, so a compaction's
    // truncate holds up no group behind it.
    truncate: (key, uptoSeq) =>
      serialIn(truncations, key, () =>
        withClient(key, 'truncate the journal', async (c) => {
          await query(c, sql.truncate, [key, uptoSeq]);
        }),
      ),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all([...chains.values(), ...truncations.values()]);
      await ownPool?.end().catch(() => undefined);
    },
  };
}

/**
 * {@link postgresAdapter} with its {@link postgresJournal}: the PostgreSQL
 * store for journal mode. Pass `pool` to run both on one pool; otherwise each
 * creates its own from the connection options. `dispose()` closes both.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistJournaled } from 'xstate-checkpoint/journal';
 * import { postgresJournalAdapter } from 'xstate-checkpoint/adapters/postgres-journal';
 *
 * const adapter = postgresJournalAdapter({ connectionString: 'postgresql://app@db.internal/app' });
 * const order = await persistJournaled(createMachine({ id: 'order' }), { key: 'order-1', adapter, journal: true, lock: true });
 * ```
 */
export function postgresJournalAdapter(options: PostgresAdapterOptions = {}): PostgresAdapter {
  const store = postgresAdapter(options);
  const journal = postgresJournal({
    ...(options.pool === undefined ? {} : { pool: options.pool }),
    ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
    ...(options.poolConfig === undefined ? {} : { poolConfig: options.poolConfig }),
    ...(options.table === undefined ? {} : { table: options.table }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.createTable === undefined ? {} : { createTable: options.createTable }),
    ...(options.preparedStatements === undefined ? {} : { preparedStatements: options.preparedStatements }),
  });
  const disposeStore = store.dispose.bind(store);
  return Object.assign(store, {
    journal,
    async dispose() {
      const results = await Promise.allSettled([journal.dispose(), disposeStore()]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
  });
}
