import type { Client, Pool, PoolConfig } from 'pg';
import type { Clock } from '../../src/clock.js';

/** What the adapter takes from the `pg` module (`import('pg')` has it). */
export interface PgModule {
  readonly default: { readonly Pool: typeof Pool; readonly Client: typeof Client };
}

/** Retry policy for operations that are safe to repeat after a lost connection. */
export interface PostgresRetryOptions {
  /** Attempts in total, the first included. @default 4 */
  readonly attempts?: number;
  /** Delay before the second attempt; doubles each time, with jitter. @default 50 */
  readonly minDelayMs?: number;
  /** Upper bound of one delay. @default 1000 */
  readonly maxDelayMs?: number;
}

/** Options of {@link postgresAdapter}. */
export interface PostgresAdapterOptions {
  /**
   * A `pg` pool to run on. The adapter never ends a pool it was given.
   * @default a pool the adapter creates from `connectionString` (and ends on `dispose`)
   */
  readonly pool?: Pool;
  /**
   * Connection string for the pool the adapter creates when no `pool` is given.
   * @default pg's environment defaults (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD)
   */
  readonly connectionString?: string;
  /**
   * Extra settings for the pool the adapter creates (`max`, `statement_timeout`, `ssl`, ...).
   * A connection attempt gives up after `connectionTimeoutMillis` (then the
   * operation is retried, and fails with `connection` after `retry.attempts`).
   * @default { connectionTimeoutMillis: 10000 }
   */
  readonly poolConfig?: PoolConfig;
  /**
   * Loads the `pg` driver (for bundlers that need a static import, or tests).
   * A driver that cannot be loaded fails with `driver-missing`.
   * @default () => import('pg')
   */
  readonly driver?: () => Promise<PgModule>;
  /** Table of generations; leases live in `<table>_heads`. At most 48 characters. @default 'xstate_checkpoints' */
  readonly table?: string;
  /** Schema of both tables. @default the connection's `search_path` */
  readonly schema?: string;
  /**
   * Create the schema, tables and indexes on first use when missing. Set to
   * `false` when migrations run {@link postgresSchemaSql} themselves.
   * @default true
   */
  readonly createTable?: boolean;
  /** Lease lifetime when `acquire()` is called without `ttlMs`. @default 30000 */
  readonly leaseTtlMs?: number;
  /** Renew held leases in the background every third of their lifetime. @default true */
  readonly renewLeases?: boolean;
  /**
   * Time for the client side of leases (background renewal, the wait of
   * `acquire({ waitMs })`), retry pauses and reconnects; lease expiry itself is
   * by the server's clock.
   * @default systemClock
   */
  readonly clock?: Clock;
  /** Name this adapter writes into the lease table (diagnostics). @default a random id */
  readonly owner?: string;
  /**
   * Retries after a lost connection, with backoff. Reads are repeated as they
   * are; a write is repeated as the same compare-and-set, and an attempt that
   * landed before its reply was lost counts as this write's success.
   */
  readonly retry?: PostgresRetryOptions;
  /**
   * After each write, `NOTIFY` the key's channel so followers in any process
   * (`subscribe`) hear of it at once instead of at their next poll. Costs one
   * short statement per write, not awaited by the write; turn off when no one follows.
   * @default true
   */
  readonly notify?: boolean;
  /**
   * Run the adapter's statements as named prepared statements (parsed and
   * planned once per connection). Turn off behind poolers that cannot keep
   * them, such as PgBouncer in transaction mode before 1.21.
   * @default true
   */
  readonly preparedStatements?: boolean;
}
