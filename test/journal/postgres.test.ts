import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistJournaled } from 'xstate-checkpoint/journal';
import { postgresSchemaSql } from 'xstate-checkpoint/adapters/postgres';
import {
  postgresJournal,
  postgresJournalAdapter,
  postgresJournalSql,
} from 'xstate-checkpoint/adapters/postgres-journal';
import { runAdapterConformance, runJournalConformance } from '../conformance/suite.js';
import { pgConfig } from '../server/support.js';
import { describePostgres } from '../helpers/servers.js';

await describePostgres('postgres journal', 'pgjournal', (env) => {
  beforeAll(async () => {
    for (const table of ['j', 'a']) {
      await env.admin.query(postgresSchemaSql({ schema: env.schema, table }));
      await env.admin.query(postgresJournalSql({ schema: env.schema, table }));
    }
  });
  const make = (table: string) =>
    postgresJournalAdapter({ poolConfig: { ...pgConfig(), max: 3 }, schema: env.schema, table });
  const q = (table: string) => `"${env.schema}"."${table}`;

  runJournalConformance('postgres', {
    create: () => make('j'),
    reopen: () => make('j'),
    async corruptEntry(key, seq) {
      const { rowCount } = await env.admin.query(
        `UPDATE ${q('j')}_journal" SET payload = set_byte(payload, 0, get_byte(payload, 0) # 255) WHERE key = $1 AND seq = $2`,
        [key, seq],
      );
      if (rowCount !== 1) throw new Error(`entry ${seq} not found`);
    },
    async setAside(key) {
      const { rows } = await env.admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${q('j')}_journal_aside" WHERE key = $1`,
        [key],
      );
      return rows[0]!.n;
    },
    async cleanup() {
      await env.admin.query(`TRUNCATE ${q('j')}", ${q('j')}_heads", ${q('j')}_journal", ${q('j')}_journal_aside"`);
    },
  });

  runAdapterConformance('postgres (postgresJournalAdapter)', [postgresJournalAdapter], {
    create: () => make('a'),
    createPeer: () => make('a'),
    async cleanup() {
      await env.admin.query(`TRUNCATE ${q('a')}", ${q('a')}_heads"`);
    },
  });

  it('journals an actor with one transaction per group and restores it by replay', async () => {
    const counter = createMachine({
      id: 'counter',
      context: { n: 0 },
      on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    const first = await persistJournaled(counter, {
      key: 'k',
      adapter: make('m'),
      journal: true,
      lock: true,
      flushOnExit: false,
    });
    const acks = await Promise.all(Array.from({ length: 50 }, () => first.send({ type: 'INC' })));
    expect(acks.at(-1)).toBe(50);
    first.actor.stop(); // a crash: the lease is left to expire, the journal has everything acknowledged
    await env.admin.query(`UPDATE ${q('m')}_heads" SET owner = NULL, expires_at = NULL`);
    const second = await persistJournaled(counter, {
      key: 'k',
      adapter: make('m'),
      journal: true,
      lock: true,
      flushOnExit: false,
    });
    expect(second.actor.getSnapshot().context.n).toBe(50);
    expect(second.restored.journal).toMatchObject({ replayed: 50 });
    await second.close();
  });

  // Every append added an `error` listener to its pooled client and never removed it: a
  // client's listeners grew by one per append (a leak, and Node's MaxListenersExceededWarning).
  it('leaves no listener behind on the pooled client after appends', async () => {
    const pool = new pg.Pool({ ...pgConfig(), max: 1 });
    const journal = postgresJournal({ pool, schema: env.schema, table: 'j' });
    for (let seq = 1; seq <= 30; seq++) await journal.append('listeners', [{ seq, bytes: new Uint8Array([seq]) }], 0);
    const client = await pool.connect();
    const listeners = client.listenerCount('error');
    client.release();
    await journal.dispose();
    await pool.end();
    expect(listeners).toBeLessThan(3);
  });

  it('a client whose connection died under an append leaves the pool: the next append gets a live one', async () => {
    const app = `xsc-journal-victim-${process.pid}`;
    const pool = new pg.Pool({ ...pgConfig(), max: 1, application_name: app });
    const journal = postgresJournal({ pool, schema: env.schema, table: 'j' });
    const admin = new pg.Client(pgConfig());
    await admin.connect();
    const blocker = new pg.Client(pgConfig());
    await blocker.connect();
    try {
      await journal.append('victim', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
      await admin.query(
        `INSERT INTO "${env.schema}".j_heads (key, seq, epoch) VALUES ('victim', 0, 0) ON CONFLICT DO NOTHING`,
      );
      // Hold the key's head row, so the next append is provably waiting on the server when it is killed.
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM "${env.schema}".j_heads WHERE key = 'victim' FOR UPDATE`);
      const pending = journal.append('victim', [{ seq: 2, bytes: new Uint8Array([2]) }], 0).catch((e: unknown) => e);
      let pid: number | undefined;
      for (let i = 0; i < 300 && pid === undefined; i++) {
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [app],
        );
        pid = rows[0]?.pid;
        if (pid === undefined) await new Promise((r) => setTimeout(r, 10));
      }
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      expect((await pending) as { code?: string }).toMatchObject({ code: 'connection' });
      await blocker.query('ROLLBACK');
      await journal.append('victim', [{ seq: 2, bytes: new Uint8Array([2]) }], 0);
      expect((await journal.read('victim', 0)).entries.map((e) => e.seq)).toEqual([1, 2]);
    } finally {
      await blocker.end();
      await admin.end();
      await journal.dispose();
      await pool.end();
    }
  });

  it('leaves no listener behind on the pooled client after journals make their tables', async () => {
    const pool = new pg.Pool({ ...pgConfig(), max: 1 });
    for (let i = 0; i < 12; i++) {
      const journal = postgresJournal({ pool, schema: env.schema, table: `made${i}` });
      await journal.append('k', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
      await journal.dispose();
    }
    const client = await pool.connect();
    const listeners = client.listenerCount('error');
    client.release();
    await pool.end();
    expect(listeners).toBeLessThan(3);
  });

  it('truncates beside the appends: a truncate is not queued behind an append that waits', async () => {
    const pool = new pg.Pool({ ...pgConfig(), max: 3 });
    const journal = postgresJournal({ pool, schema: env.schema, table: 'j' });
    const key = 'beside';
    await journal.append(
      key,
      [1, 2, 3].map((seq) => ({ seq, bytes: new Uint8Array([seq]) })),
      0,
    );
    // Another session holds the key's heads row, so the next append waits for its share lock.
    await env.admin.query(`INSERT INTO ${q('j')}_heads" (key, seq, epoch) VALUES ($1, 0, 0) ON CONFLICT DO NOTHING`, [
      key,
    ]);
    const holder = await pool.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM ${q('j')}_heads" WHERE key = $1 FOR UPDATE`, [key]);
    let appended = false;
    const append = journal.append(key, [{ seq: 4, bytes: new Uint8Array([4]) }], 0).then(() => (appended = true));
    await journal.truncate(key, 2);
    expect(appended).toBe(false);
    await holder.query('COMMIT');
    holder.release();
    await append;
    expect((await journal.read(key, 0)).entries.map((e) => e.seq)).toEqual([3, 4]);
    await journal.dispose();
    await pool.end();
  });
});
