import { beforeAll, expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { postgresAdapter, postgresSchemaSql } from 'xstate-checkpoint/adapters/postgres';
import type { PostgresAdapterOptions } from 'xstate-checkpoint/adapters/postgres';
import { runAdapterConformance, record } from '../conformance/suite.js';
import { pgConfig } from '../server/support.js';
import { codeOf } from '../helpers/errors.js';
import { describePostgres } from '../helpers/servers.js';

await describePostgres('postgres adapter', 'pgadapter', (env) => {
  beforeAll(async () => {
    await env.admin.query(postgresSchemaSql({ schema: env.schema, table: 'conformance' }));
  });

  const make = (extra: Partial<PostgresAdapterOptions> = {}) =>
    postgresAdapter({ poolConfig: { ...pgConfig(), max: 4 }, schema: env.schema, table: 'conformance', ...extra });

  runAdapterConformance('postgres', [postgresAdapter], {
    create: () => make(),
    createPeer: () => make(),
    async cleanup() {
      await env.admin.query(`TRUNCATE "${env.schema}".conformance, "${env.schema}".conformance_heads`);
    },
  });

  it('works on tables created from the exported SQL with createTable: false', async () => {
    const sql = postgresSchemaSql({ schema: env.schema, table: 'migrated' });
    expect(sql).toContain('PRIMARY KEY (key, seq)');
    await env.admin.query(sql);
    const adapter = make({ table: 'migrated', createTable: false });
    try {
      await adapter.write('k', record(1));
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
    } finally {
      await adapter.dispose();
    }
  });

  it('starts on existing tables without DDL locks, so open write transactions do not block it', async () => {
    const first = make({ table: 'busy' });
    await first.write('k', record(1));
    await first.dispose();
    const writer = await env.admin.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO "${env.schema}".busy (key, seq, epoch, created_at, byte_length, payload) VALUES ('open', 1, 0, now(), 1, '\\x00')`,
      );
      const late = make({ table: 'busy' });
      const listed = await Promise.race([
        late.list('k'),
        new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3000)),
      ]);
      expect(listed).not.toBe('blocked');
      await writer.query('ROLLBACK');
      await late.dispose();
    } finally {
      writer.release();
    }
  });

  it('reports missing tables as io when createTable is false', async () => {
    const adapter = make({ table: 'never_created', createTable: false });
    try {
      expect(await codeOf(adapter.list('k'))).toBe('io');
    } finally {
      await adapter.dispose();
    }
  });

  it('fills version and checksum columns from the envelope header', async () => {
    const adapter = make({ table: 'columns' });
    try {
      const payload = new TextEncoder().encode('{"a":1}');
      const bytes = encodeEnvelope(
        { machine: 'm', version: 7, seq: 1, epoch: 0, createdAt: 1_700_000_000_123, codec: 'xsc1' },
        payload,
      );
      await adapter.write('k', { seq: 1, epoch: 0, createdAt: 1_700_000_000_123, byteLength: bytes.length, bytes });
      const { rows } = await env.admin.query(
        `SELECT version, checksum::float8 AS checksum, byte_length, created_at = to_timestamp(1700000000.123) AS exact
         FROM "${env.schema}".columns WHERE key = 'k'`,
      );
      expect(rows[0]).toMatchObject({ version: 7, byte_length: bytes.length, exact: true });
      expect(rows[0].checksum).toBeGreaterThan(0);
    } finally {
      await adapter.dispose();
    }
  });

  it('lists newest first straight from the primary key index (no sort)', async () => {
    const adapter = make({ table: 'indexed' });
    try {
      for (const seq of [1, 2, 3]) await adapter.write('k', record(seq));
      const client = await env.admin.connect();
      try {
        // Tiny tables are cheapest to scan whole; make the planner show what the index can do.
        await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
        const { rows } = await client.query(
          `EXPLAIN (FORMAT JSON) SELECT seq, row_number() OVER (ORDER BY seq DESC) FROM "${env.schema}".indexed
           WHERE key = 'k' AND quarantined_at IS NULL ORDER BY seq DESC`,
        );
        const plan = JSON.stringify(rows[0]);
        expect(plan).toMatch(/"Node Type":"Index Scan","[^}]*"Scan Direction":"Backward"/);
        expect(plan).toMatch(/indexed_pkey/);
        expect(plan).not.toMatch(/"Node Type":"Sort"/);
      } finally {
        await client.query('RESET enable_seqscan; RESET enable_bitmapscan');
        client.release();
      }
    } finally {
      await adapter.dispose();
    }
  });

  it('keeps no cache between list() and read(): a generation removed in between is gone', async () => {
    const adapter = make({ table: 'nocache' });
    const peer = make({ table: 'nocache' });
    try {
      await adapter.write('k', record(1));
      await adapter.write('k', record(2));
      expect((await adapter.list('k'))[0]?.seq).toBe(2);
      await peer.remove('k', 2);
      expect(await adapter.read('k', 2)).toBeUndefined();
      const found = await adapter.readNewest('k');
      expect([found.seqs, found.newest?.seq]).toEqual([[1], 1]);
      expect(found.newest?.bytes).toEqual(record(1).bytes);
    } finally {
      await adapter.dispose();
      await peer.dispose();
    }
  });

  it('refuses keys too long for a PostgreSQL index with invalid-key', async () => {
    const adapter = make();
    try {
      expect(await codeOf(adapter.write('€'.repeat(700), record(1)))).toBe('invalid-key');
      await adapter.write('€'.repeat(600), record(1));
    } finally {
      await adapter.dispose();
    }
  });

  it('refuses bad options and records with invalid-option', async () => {
    expect(() => postgresAdapter({ table: '' })).toThrow(/invalid-option/);
    expect(() => postgresAdapter({ table: 'x'.repeat(49) })).toThrow(/invalid-option/);
    expect(() => postgresAdapter({ leaseTtlMs: 0 })).toThrow(/invalid-option/);
    const adapter = make();
    try {
      expect(await codeOf(adapter.write('k', { ...record(1), seq: 0 }))).toBe('invalid-option');
      expect(await codeOf(adapter.write('k', { ...record(1), epoch: -1 }))).toBe('invalid-option');
    } finally {
      await adapter.dispose();
    }
  });

  it('quotes schema and table names', async () => {
    const adapter = make({ table: 'we"ird table' });
    try {
      await adapter.write('k', record(1));
      const { rows } = await env.admin.query(`SELECT count(*)::int AS n FROM "${env.schema}"."we""ird table"`);
      expect(rows[0].n).toBe(1);
    } finally {
      await adapter.dispose();
    }
  });

  it('maps server errors: disk full, permission, read-only', async () => {
    const table = 'failing';
    const adapter = make({ table });
    try {
      await adapter.write('ok', record(1));
      // A trigger raising the real SQLSTATEs the server uses for these failures.
      await env.admin.query(`
        CREATE FUNCTION "${env.schema}".fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.key = 'full' THEN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END IF;
          IF NEW.key = 'denied' THEN RAISE EXCEPTION 'permission denied' USING ERRCODE = '42501'; END IF;
          IF NEW.key = 'readonly' THEN RAISE EXCEPTION 'read-only transaction' USING ERRCODE = '25006'; END IF;
          IF NEW.key = 'odd' THEN RAISE EXCEPTION 'something else' USING ERRCODE = 'XX000'; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER fail BEFORE INSERT ON "${env.schema}".${table} FOR EACH ROW EXECUTE FUNCTION "${env.schema}".fail();`);
      const expectations = { full: 'storage-full', denied: 'permission', readonly: 'read-only', odd: 'io' };
      for (const [key, code] of Object.entries(expectations)) {
        const error = await adapter.write(key, record(1)).catch((e: unknown) => e);
        expect(isCheckpointError(error) && error.code, key).toBe(code);
        if (isCheckpointError(error)) {
          expect(error.key).toBe(key);
          expect(error.adapter).toBe('postgres');
        }
        // Nothing published: the statement is one transaction.
        expect(await adapter.list(key)).toEqual([]);
      }
      await adapter.write('ok', record(2));
    } finally {
      await adapter.dispose();
    }
  });

  it('maps a role without privileges to permission', async () => {
    const role = `${env.schema}_reader`;
    await env.admin.query(`CREATE ROLE "${role}" NOLOGIN`);
    const setup = make({ table: 'guarded' });
    await setup.write('k', record(1));
    await setup.dispose();
    await env.admin.query(`GRANT USAGE ON SCHEMA "${env.schema}" TO "${role}"`);
    await env.admin.query(`GRANT SELECT ON "${env.schema}".guarded, "${env.schema}".guarded_heads TO "${role}"`);
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ ...pgConfig(), max: 1 });
    pool.on('connect', (client) => {
      client.query(`SET ROLE "${role}"`).catch(() => undefined);
    });
    const adapter = postgresAdapter({ pool, schema: env.schema, table: 'guarded', createTable: false });
    try {
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
      expect(await codeOf(adapter.write('k', record(2)))).toBe('permission');
    } finally {
      await adapter.dispose();
      await pool.end();
      await env.admin.query(`DROP OWNED BY "${role}"; DROP ROLE "${role}"`);
    }
  });

  it('reports an unreachable server as connection after retrying reads', async () => {
    const adapter = postgresAdapter({
      poolConfig: { host: '127.0.0.1', port: 1, connectionTimeoutMillis: 1000 },
      retry: { attempts: 3, minDelayMs: 5, maxDelayMs: 10 },
    });
    try {
      const error = await adapter.list('k').catch((e: unknown) => e);
      expect(isCheckpointError(error) && error.code).toBe('connection');
      expect(await codeOf(adapter.write('k', record(1)))).toBe('connection');
    } finally {
      await adapter.dispose();
    }
  });

  it('dispose with more writes in flight than the pool has connections settles every one, and each acknowledged one is there', async () => {
    const adapter = make({ table: 'inflight' });
    await adapter.write('warm', record(1));
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const writes = keys.map((key) => adapter.write(key, record(1)).then(() => 'ok', codeOf));
    // pg's Pool.end() neither serves nor rejects a connect() queued behind its 4 busy connections.
    const disposed = adapter.dispose();
    const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5000));
    const outcomes = await Promise.race([Promise.all(writes), timeout]);
    expect(outcomes).not.toBe('hung');
    await disposed;
    const check = make({ table: 'inflight' });
    try {
      for (const [i, outcome] of (outcomes as string[]).entries()) {
        expect(['ok', 'closed']).toContain(outcome);
        if (outcome === 'ok') expect((await check.list(keys[i]!)).map((g) => g.seq)).toEqual([1]);
      }
    } finally {
      await check.dispose();
    }
  });

  it('does not end a pool it was given', async () => {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ ...pgConfig(), max: 1 });
    const adapter = postgresAdapter({ pool, schema: env.schema, table: 'given' });
    await adapter.write('k', record(1));
    await adapter.dispose();
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${env.schema}".given`);
    expect(rows[0].n).toBe(1);
    await pool.end();
  });
});
