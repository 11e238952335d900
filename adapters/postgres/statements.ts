import { quote, tableNaming } from './sql.js';

// The SQL text of the PostgreSQL adapter: its names, its DDL and every statement it runs.

/** The adapter's tables and index, quoted and qualified. */
export interface Names {
  readonly gens: string;
  readonly heads: string;
  readonly quarantineIndex: string;
  /** The index name qualified like the tables (for `to_regclass`). */
  readonly quarantineIndexQualified: string;
  readonly schema: string | undefined;
  readonly qualified: string;
}

/**
 * The adapter's table and index names for the `table` and `schema` options
 * (checked by {@link tableNaming}).
 *
 * @example
 * ```ts
 * import { names } from './statements.js';
 * names({ schema: 'app' }).heads; // "app"."xstate_checkpoints_heads"
 * ```
 */
export function names(options: { readonly table?: string; readonly schema?: string }): Names {
  const { table, schema, qualify } = tableNaming(options);
  return {
    gens: qualify(table),
    heads: qualify(`${table}_heads`),
    quarantineIndex: quote(`${table}_quarantined`),
    quarantineIndexQualified: qualify(`${table}_quarantined`),
    schema,
    qualified: `${schema ?? ''}.${table}`,
  };
}

/**
 * The idempotent DDL of the adapter's tables and index.
 *
 * @example
 * ```ts
 * import { names, schemaSql } from './statements.js';
 * schemaSql(names({})); // CREATE TABLE IF NOT EXISTS "xstate_checkpoints" (...
 * ```
 */
export function schemaSql(n: Names): string {
  return [
    n.schema === undefined ? undefined : `CREATE SCHEMA IF NOT EXISTS ${quote(n.schema)};`,
    `CREATE TABLE IF NOT EXISTS ${n.gens} (
  key text NOT NULL,
  seq bigint NOT NULL,
  epoch bigint NOT NULL,
  version integer,
  created_at timestamptz NOT NULL,
  byte_length integer NOT NULL,
  checksum bigint,
  payload bytea NOT NULL,
  quarantined_at timestamptz,
  quarantine_reason text,
  PRIMARY KEY (key, seq)
);`,
    `CREATE INDEX IF NOT EXISTS ${n.quarantineIndex} ON ${n.gens} (quarantined_at) WHERE quarantined_at IS NOT NULL;`,
    `CREATE TABLE IF NOT EXISTS ${n.heads} (
  key text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0,
  epoch bigint NOT NULL DEFAULT 0,
  owner text,
  expires_at timestamptz
);`,
  ]
    .filter((statement) => statement !== undefined)
    .join('\n');
}

/**
 * Every statement the adapter runs, on the tables `n` names. Each is one
 * statement, so one implicit transaction and one snapshot.
 *
 * @example
 * ```ts
 * import { adapterStatements, names } from './statements.js';
 * const sql = adapterStatements(names({ table: 'checkpoints' }));
 * sql.read; // SELECT payload FROM "checkpoints" WHERE key = $1 AND seq = $2 ...
 * ```
 */
export function adapterStatements(n: Names) {
  return {
    list: `SELECT seq, epoch, byte_length, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
    FROM ${n.gens} WHERE key = $1 AND quarantined_at IS NULL ORDER BY seq DESC`,
    // One statement, so one snapshot: the sequences, the quarantine's highest, the epoch and the
    // newest bytes agree with each other even while other writers publish and prune.
    newest: `SELECT a.seqs, a.quarantined_seq, a.epoch, n.seq AS newest_seq, n.payload
    FROM (SELECT coalesce(array_agg(seq ORDER BY seq DESC) FILTER (WHERE quarantined_at IS NULL), '{}') AS seqs,
        coalesce(max(seq) FILTER (WHERE quarantined_at IS NOT NULL), 0) AS quarantined_seq,
        coalesce(max(epoch) FILTER (WHERE quarantined_at IS NULL), 0) AS epoch
      FROM ${n.gens} WHERE key = $1) a
    LEFT JOIN LATERAL (SELECT seq, payload FROM ${n.gens} WHERE key = $1 AND quarantined_at IS NULL
      ORDER BY seq DESC LIMIT 1) n ON true`,
    // readNewestMany: the same per key, for many keys in one statement (one row per position of $1).
    newestMany: `SELECT k.i, a.seqs, a.quarantined_seq, a.epoch, n.seq AS newest_seq, n.payload
    FROM unnest($1::text[]) WITH ORDINALITY AS k(key, i)
    CROSS JOIN LATERAL (SELECT coalesce(array_agg(seq ORDER BY seq DESC) FILTER (WHERE quarantined_at IS NULL), '{}') AS seqs,
        coalesce(max(seq) FILTER (WHERE quarantined_at IS NOT NULL), 0) AS quarantined_seq,
        coalesce(max(epoch) FILTER (WHERE quarantined_at IS NULL), 0) AS epoch
      FROM ${n.gens} WHERE key = k.key) a
    LEFT JOIN LATERAL (SELECT seq, payload FROM ${n.gens} WHERE key = k.key AND quarantined_at IS NULL
      ORDER BY seq DESC LIMIT 1) n ON true`,
    read: `SELECT payload FROM ${n.gens} WHERE key = $1 AND seq = $2 AND quarantined_at IS NULL`,
    // One statement, so one implicit transaction. ON CONFLICT DO UPDATE locks the
    // head row and evaluates its WHERE against the newest committed version, so
    // two writers of one key are serialized: the loser publishes nothing.
    write: `WITH head AS (
      INSERT INTO ${n.heads} AS h (key, seq, epoch) VALUES ($1, $2, $3)
      ON CONFLICT (key) DO UPDATE SET seq = EXCLUDED.seq, epoch = EXCLUDED.epoch
      WHERE h.seq < EXCLUDED.seq AND h.epoch <= EXCLUDED.epoch
      RETURNING 1
    )
    INSERT INTO ${n.gens} (key, seq, epoch, version, created_at, byte_length, checksum, payload)
    SELECT $1, $2, $3, $4, timestamptz 'epoch' + $5::float8 * interval '1 millisecond', $6, $7, $8 FROM head`,
    // Its own transaction, after the write: a commit that notifies holds a database-wide lock
    // until its commit record is flushed, so notifying inside the write made 8 concurrent
    // writers 4x slower. Without the flush (a notice is a hint; the resync poll covers a lost
    // one) the lock is held for microseconds.
    notify: `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`,
    head: `SELECT seq, epoch FROM ${n.heads} WHERE key = $1`,
    heads: `SELECT key, seq, epoch FROM ${n.heads} WHERE key = ANY($1::text[])`,
    own: `SELECT epoch, payload FROM ${n.gens} WHERE key = $1 AND seq = $2`,
    remove: `DELETE FROM ${n.gens} WHERE key = $1 AND seq = $2 AND quarantined_at IS NULL`,
    keys: `SELECT DISTINCT key FROM ${n.gens} WHERE quarantined_at IS NULL`,
    quarantine: `UPDATE ${n.gens} SET quarantined_at = now(), quarantine_reason = $3
    WHERE key = $1 AND seq = $2 AND quarantined_at IS NULL
    RETURNING key, seq, epoch, byte_length, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms,
      quarantine_reason, (extract(epoch FROM quarantined_at) * 1000)::float8 AS quarantined_ms`,
    listQuarantine: (byKey: boolean) => `SELECT key, seq, epoch, byte_length,
      (extract(epoch FROM created_at) * 1000)::float8 AS created_ms, quarantine_reason,
      (extract(epoch FROM quarantined_at) * 1000)::float8 AS quarantined_ms
    FROM ${n.gens} WHERE quarantined_at IS NOT NULL ${byKey ? 'AND key = $1' : ''}
    ORDER BY quarantined_at DESC, seq DESC`,
    readQuarantined: `SELECT payload FROM ${n.gens} WHERE key = $1 AND seq = $2 AND quarantined_at IS NOT NULL`,
    deleteQuarantined: `DELETE FROM ${n.gens} WHERE key = $1 AND seq = $2 AND quarantined_at IS NOT NULL`,
    // The new epoch is past both the head's and every stored generation's (rows
    // written before the head row existed, e.g. imported ones).
    acquire: `INSERT INTO ${n.heads} AS h (key, seq, epoch, owner, expires_at)
    SELECT $1, coalesce(max(g.seq), 0), coalesce(max(g.epoch), 0) + 1, $2, now() + $3::float8 * interval '1 millisecond'
    FROM ${n.gens} g WHERE g.key = $1
    ON CONFLICT (key) DO UPDATE
    SET epoch = greatest(h.epoch + 1, EXCLUDED.epoch), owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
    WHERE h.owner IS NULL OR h.owner = EXCLUDED.owner OR h.expires_at <= now()
    RETURNING epoch, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms`,
    holder: `SELECT owner, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms,
    (extract(epoch FROM now()) * 1000)::float8 AS now_ms FROM ${n.heads} WHERE key = $1`,
    renew: `UPDATE ${n.heads} SET expires_at = now() + $4::float8 * interval '1 millisecond'
    WHERE key = $1 AND owner = $2 AND epoch = $3
    RETURNING (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms`,
    release: `UPDATE ${n.heads} SET owner = NULL, expires_at = NULL WHERE key = $1 AND owner = $2 AND epoch = $3`,
  };
}
