import { tableNaming } from '../sql.js';
import type { PostgresJournalOptions } from './options.js';

/** Rows one `read` statement returns at most; a longer journal is read page by page. */
export const READ_PAGE = 5000;

/** The journal's tables, quoted and qualified, and the adapter's heads table its appends read. */
export interface JournalTables {
  readonly journal: string;
  readonly aside: string;
  readonly heads: string;
}

/**
 * The journal's table names for `options` (checked by `tableNaming`).
 *
 * @example
 * ```ts
 * journalTables({ schema: 'app' }).journal; // "app"."xstate_checkpoints_journal"
 * ```
 */
export function journalTables(options: Pick<PostgresJournalOptions, 'table' | 'schema'>): JournalTables {
  const { table, qualify } = tableNaming(options);
  return {
    journal: qualify(`${table}_journal`),
    aside: qualify(`${table}_journal_aside`),
    heads: qualify(`${table}_heads`),
  };
}

/**
 * The SQL that creates the journal's tables (idempotent).
 *
 * @example
 * ```ts
 * const sql = journalSchemaSql(journalTables({}));
 * ```
 */
export function journalSchemaSql(t: JournalTables): string {
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

/**
 * The journal's statements on the tables `t`.
 *
 * - `append` inserts a group in one statement, only when the epoch is at least
 *   the key's lease epoch (read under a share lock, so a concurrent `acquire`
 *   waits) and the last stored one, and the group starts after the last
 *   sequence; it returns what it compared with and how many rows it inserted.
 * - `same` counts the group's rows already there with the same checksums (a resend).
 * - `read` pages through the entries after a sequence; `rest` sums what is left.
 * - `aside` moves the rows after a sequence into the aside table; `truncate` deletes up to one.
 *
 * @example
 * ```ts
 * const sql = journalStatements(journalTables({}));
 * ```
 */
export function journalStatements(t: JournalTables) {
  return {
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
}
