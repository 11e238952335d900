import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import type { CheckpointRecord } from 'xstate-checkpoint';
import { postgresAdapter, type PostgresRetryOptions } from 'xstate-checkpoint/adapters/postgres';
import { pgConfig, pgConfigVia, pgTarget, randomSuffix } from './support.js';
import { startTcpProxy } from './proxy.js';
import { codeOf } from '../helpers/errors.js';
import { describePostgres } from '../helpers/servers.js';

function rec(seq: number, size = 32, salt = 0): CheckpointRecord {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + seq * 13 + salt) & 0xff;
  return { seq, epoch: 0, createdAt: 1_700_000_000_000 + seq, byteLength: size, bytes };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await describePostgres('postgres: connection loss in the middle of a save', 'terminate', (env) => {
  const table = () => `"${env.schema}".xstate_checkpoints`;

  /** Polls pg_stat_activity until the backend of `app` matches `where`, then returns its pid. */
  async function backendOf(app: string, where: string): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await env.admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND ${where}`,
        [app],
      );
      if (rows[0]) return rows[0].pid;
      await sleep(10);
    }
    throw new Error(`no backend of ${app} where ${where}`);
  }

  // Compares digests, so megabytes of payload need not travel back for every check.
  const checkRows = async (key: string, expected: Map<number, CheckpointRecord>) => {
    const { rows } = await env.admin.query<{ seq: string; digest: string; byte_length: number }>(
      `SELECT seq, md5(payload) AS digest, byte_length FROM ${table()} WHERE key = $1 ORDER BY seq`,
      [key],
    );
    expect(rows.map((r) => Number(r.seq))).toEqual([...expected.keys()].sort((a, b) => a - b));
    for (const row of rows) {
      const want = expected.get(Number(row.seq))!;
      expect(row.byte_length).toBe(want.bytes.length);
      expect(row.digest, `bytes of seq ${row.seq}`).toBe(createHash('md5').update(want.bytes).digest('hex'));
    }
  };

  it('pg_terminate_backend while the write waits: typed connection error, nothing published, the retry succeeds', async () => {
    const app = `xsc-victim-${randomSuffix()}`;
    // One attempt: the adapter would otherwise retry (safely) and hide the failure.
    const adapter = postgresAdapter({
      poolConfig: { ...pgConfig(), max: 1, application_name: app },
      schema: env.schema,
      retry: { attempts: 1 },
    });
    const blocker = await env.admin.connect();
    try {
      await adapter.write('held', rec(1));
      // Hold the key's head row so the next write is provably in flight on the server when it is killed.
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM "${env.schema}".xstate_checkpoints_heads WHERE key = 'held' FOR UPDATE`);
      const pending = adapter.write('held', rec(2)).catch((e: unknown) => e);
      const pid = await backendOf(app, `wait_event_type = 'Lock'`);
      const { rows } = await env.admin.query('SELECT pg_terminate_backend($1) AS done', [pid]);
      expect(rows[0].done).toBe(true);
      const error = await pending;
      expect(isCheckpointError(error) && error.code).toBe('connection');
      expect(isCheckpointError(error) && error.key).toBe('held');
      await blocker.query('ROLLBACK');
      await checkRows('held', new Map([[1, rec(1)]]));
      await adapter.write('held', rec(2));
      await checkRows(
        'held',
        new Map([
          [1, rec(1)],
          [2, rec(2)],
        ]),
      );
    } finally {
      blocker.release();
      await adapter.dispose();
    }
  });

  it('pg_terminate_backend during large writes: typed errors, retries succeed, no torn generation', async () => {
    const app = `xsc-large-${randomSuffix()}`;
    const adapter = postgresAdapter({
      poolConfig: { ...pgConfig(), max: 1, application_name: app },
      schema: env.schema,
      retry: { attempts: 1 },
    });
    const expected = new Map<number, CheckpointRecord>();
    let interrupted = 0;
    // Even generations pause inside the insert, after the server has the whole payload, so at least three kills
    // provably land mid-write; odd ones are killed at a varying moment, which on a fast server may be too late.
    await env.admin.query(`
      CREATE FUNCTION "${env.schema}".pause_large() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.key = 'large' AND NEW.seq % 2 = 0 THEN PERFORM pg_sleep(0.3); END IF; RETURN NEW; END $$;
      CREATE TRIGGER pause_large AFTER INSERT ON ${table()} FOR EACH ROW EXECUTE FUNCTION "${env.schema}".pause_large();`);
    try {
      for (let seq = 1; seq <= 6; seq++) {
        const record = rec(seq, 2 * 1024 * 1024 + seq);
        const pending = codeOf(adapter.write('large', record));
        const killer = (async () => {
          const where = seq % 2 === 0 ? `wait_event = 'PgSleep'` : `state = 'active'`;
          const pid = await backendOf(app, where).catch(() => undefined);
          if (pid === undefined) return;
          if (seq % 2 === 1) await sleep(seq * 3);
          await env.admin.query('SELECT pg_terminate_backend($1)', [pid]);
        })();
        const first = await pending;
        await killer;
        expect(['ok', 'connection']).toContain(first);
        if (first === 'connection') {
          interrupted++;
          // The caller retries the same record: it lands once, whether or not the first attempt committed.
          expect(await codeOf(adapter.write('large', record))).toBe('ok');
        }
        expected.set(seq, record);
        await checkRows('large', expected);
      }
      expect(interrupted).toBeGreaterThanOrEqual(3);
      const listed = await adapter.list('large');
      expect(listed.map((g) => g.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    } finally {
      await env.admin.query(`DROP TRIGGER IF EXISTS pause_large ON ${table()}`);
      await adapter.dispose();
    }
  });

  it('a reply lost after the server committed: typed error, the retry finds its own generation and succeeds', async () => {
    const { host, port } = pgTarget();
    const proxy = await startTcpProxy(host, port);
    const app = `xsc-lost-${randomSuffix()}`;
    const poolConfig = { ...pgConfigVia(proxy.port), max: 1, application_name: app };
    const once = postgresAdapter({ poolConfig, schema: env.schema, table: 'slow', retry: { attempts: 1 } });
    const retrying = postgresAdapter({ poolConfig, schema: env.schema, table: 'slow' });
    try {
      await once.write('k', rec(1));
      // Slow the insert down so the connection can be cut while the server is still executing it.
      await env.admin.query(`
        CREATE FUNCTION "${env.schema}".slow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(0.4); RETURN NEW; END $$;
        CREATE TRIGGER slow AFTER INSERT ON "${env.schema}".slow FOR EACH ROW EXECUTE FUNCTION "${env.schema}".slow();`);

      const pending = once.write('k', rec(2)).catch((e: unknown) => e);
      await backendOf(app, `wait_event = 'PgSleep'`);
      proxy.cut();
      const error = await pending;
      expect(isCheckpointError(error) && error.code).toBe('connection');
      // The caller retries the same record: its own generation, not a conflict, and not a second copy.
      expect(await codeOf(once.write('k', rec(2)))).toBe('ok');
      // Not in doubt any more: the same or a different record at that sequence is a plain conflict.
      expect(await codeOf(once.write('k', rec(2, 32, 1)))).toBe('conflict');
      expect(await codeOf(once.write('k', rec(2)))).toBe('conflict');

      // With its default retries the adapter resolves the doubt itself: the caller sees success.
      const quiet = codeOf(retrying.write('k', rec(3)));
      await backendOf(app, `wait_event = 'PgSleep'`);
      proxy.cut();
      expect(await quiet).toBe('ok');

      const { rows } = await env.admin.query<{ seq: string; payload: Buffer }>(
        `SELECT seq, payload FROM "${env.schema}".slow WHERE key = 'k' ORDER BY seq`,
      );
      expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
      expect(Buffer.compare(rows[1]!.payload, Buffer.from(rec(2).bytes))).toBe(0);
      expect(Buffer.compare(rows[2]!.payload, Buffer.from(rec(3).bytes))).toBe(0);
    } finally {
      await once.dispose();
      await retrying.dispose();
      await proxy.close();
    }
  });

  it('pg_terminate_backend with default retries: the write still lands exactly once', async () => {
    const app = `xsc-retry-${randomSuffix()}`;
    const adapter = postgresAdapter({
      poolConfig: { ...pgConfig(), max: 1, application_name: app },
      schema: env.schema,
    });
    const blocker = await env.admin.connect();
    try {
      await adapter.write('retried', rec(1));
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM "${env.schema}".xstate_checkpoints_heads WHERE key = 'retried' FOR UPDATE`);
      const pending = codeOf(adapter.write('retried', rec(2)));
      const pid = await backendOf(app, `wait_event_type = 'Lock'`);
      await env.admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await sleep(100);
      await blocker.query('ROLLBACK');
      expect(await pending).toBe('ok');
      await checkRows(
        'retried',
        new Map([
          [1, rec(1)],
          [2, rec(2)],
        ]),
      );
    } finally {
      blocker.release();
      await adapter.dispose();
    }
  });

  /** An adapter whose connections go through a relay the test can pause (the server unreachable). */
  async function behindProxy(retry: PostgresRetryOptions) {
    const { host, port } = pgTarget();
    const proxy = await startTcpProxy(host, port);
    const adapter = postgresAdapter({
      poolConfig: { ...pgConfigVia(proxy.port), max: 2 },
      schema: env.schema,
      table: 'flaky',
      retry,
    });
    return { proxy, adapter };
  }

  it('reconnects with backoff when the server is unreachable for a moment', async () => {
    const { proxy, adapter } = await behindProxy({ attempts: 8, minDelayMs: 50, maxDelayMs: 200 });
    try {
      await adapter.write('k', rec(1));
      await proxy.pause();
      setTimeout(() => void proxy.resume(), 300);
      // The pooled connections died with the relay: the first attempts fail, the retries reconnect.
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
      await proxy.pause();
      setTimeout(() => void proxy.resume(), 300);
      await adapter.write('k', rec(2));
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([2, 1]);
    } finally {
      await adapter.dispose();
      await proxy.close();
    }
  });

  it('dispose while a write retries against an unreachable server: the write rejects at its next try, dispose does not wait out the retries', async () => {
    const { proxy, adapter } = await behindProxy({ attempts: 40, minDelayMs: 100, maxDelayMs: 100 });
    try {
      await adapter.write('retrying', rec(1));
      await proxy.pause();
      const writing = codeOf(adapter.write('retrying', rec(2)));
      await new Promise((resolve) => setTimeout(resolve, 250));
      const started = Date.now();
      await adapter.dispose();
      // 40 tries 100 ms apart would take 4 s; dispose waits for one try at most.
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await writing).toBe('closed');
    } finally {
      await proxy.close();
    }
  });
});
