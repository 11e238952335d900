import type { Pool } from 'pg';
import { CheckpointError, isCheckpointError } from '../../../src/errors.js';
import { connectConfig, postgresServerName } from '../connection-config.js';
import { postgresErrorCode } from '../errors.js';
import type { Prepared } from '../prepared.js';
import type { PostgresJournalOptions } from './options.js';
import { journalStatements, journalTables, type JournalTables } from './statements.js';

/** The journal's name on its errors (the adapter's). */
export const NAME = 'postgres';

/**
 * What the parts of one PostgreSQL journal share: its options with their
 * defaults, its tables and statements, and the state its calls change (the
 * pool, the schema check, damaged keys, the calls in flight per key).
 *
 * @example
 * ```ts
 * const io: JournalIo = journalIo({ connectionString: 'postgresql://app@db/app' });
 * ```
 */
export interface JournalIo {
  readonly options: PostgresJournalOptions;
  readonly t: JournalTables;
  readonly sql: ReturnType<typeof journalStatements>;
  readonly createTable: boolean;
  readonly statements: Prepared;
  /** The server as errors name it (its URL without the password). */
  readonly server: string;
  /** Keys whose read found a damaged row: the next append moves the rows from there on aside. */
  readonly damagedAfter: Map<string, number>;
  /** The tail of each key's appends and reads, and of its truncates (see queue.ts). */
  readonly chains: Map<string, Promise<unknown>>;
  readonly truncations: Map<string, Promise<unknown>>;
  pool: Pool | undefined;
  /** The pool the journal created (and ends on `dispose`). */
  ownPool: Pool | undefined;
  poolPromise: Promise<Pool> | undefined;
  /** The schema check (and creation), once it started. */
  ready: Promise<void> | undefined;
  disposed: boolean;
}

/**
 * The shared parts of a journal for `options`; checks `table` and `schema`
 * (`invalid-option`). Nothing connects until the first call.
 *
 * @example
 * ```ts
 * const io = journalIo({ schema: 'app' });
 * ```
 */
export function journalIo(options: PostgresJournalOptions): JournalIo {
  const t = journalTables(options);
  return {
    options,
    t,
    sql: journalStatements(t),
    createTable: options.createTable ?? true,
    statements: { prepared: options.preparedStatements ?? true, prefix: 'xscj', names: new Map() },
    server: postgresServerName(connectConfig(options)),
    damagedAfter: new Map(),
    chains: new Map(),
    truncations: new Map(),
    pool: options.pool,
    ownPool: undefined,
    poolPromise: undefined,
    ready: undefined,
    disposed: false,
  };
}

/**
 * The typed error for a failed journal call (`postgresErrorCode`), saying
 * what could not be done, and where for `connection` and `auth`.
 *
 * @example
 * ```ts
 * throw journalFailure(io, error, 'order-1', 'append to the journal', 4);
 * ```
 */
export function journalFailure(
  io: JournalIo,
  error: unknown,
  key: string,
  action: string,
  seq?: number,
): CheckpointError {
  if (isCheckpointError(error)) return error;
  const code = postgresErrorCode(error);
  // Which server could not be reached or refused the login (its URL without the password).
  const where = code === 'connection' || code === 'auth' ? ` ${io.server}` : '';
  return new CheckpointError(code, {
    key,
    adapter: NAME,
    seq,
    cause: error,
    detail: `could not ${action}${where}: ${error instanceof Error ? error.message : String(error)}`,
  });
}
