import type { Pool, PoolConfig } from 'pg';
import type { JournalStore } from '../../../src/adapter.js';

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
