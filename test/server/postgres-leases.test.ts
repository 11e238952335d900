import { afterAll, expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import type { PostgresAdapterOptions } from 'xstate-checkpoint/adapters/postgres';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { pgConfig } from './support.js';
import { codeOf } from '../helpers/errors.js';
import { describePostgres } from '../helpers/servers.js';

const rec = (seq: number, epoch: number) => {
  const bytes = new TextEncoder().encode(`seq ${seq} epoch ${epoch}`);
  return { seq, epoch, createdAt: Date.now(), byteLength: bytes.length, bytes };
};

await describePostgres('postgres: leases and fencing', 'leases', (env) => {
  const opened: Array<{ dispose(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(opened.map((a) => a.dispose()));
  });
  const make = (extra: Partial<PostgresAdapterOptions> = {}) => {
    const adapter = postgresAdapter({ poolConfig: { ...pgConfig(), max: 2 }, schema: env.schema, ...extra });
    opened.push(adapter);
    return adapter;
  };

  it('hands an expired lease to the next owner, which fences the old one', async () => {
    const a = make({ renewLeases: false, owner: 'worker-a' });
    const b = make({ owner: 'worker-b' });
    const first = await a.acquire('order', { ttlMs: 400 });
    await a.write('order', rec(1, first.epoch));
    const held = await b.acquire('order').catch((e: unknown) => e);
    expect(isCheckpointError(held) && held.code).toBe('lock-held');
    expect(isCheckpointError(held) && held.message).toContain('worker-a');

    const second = await b.acquire('order', { waitMs: 5000, ttlMs: 5000 });
    // Taken (by the database clock) no earlier than the first lease expired.
    expect(second.expiresAt - 5000).toBeGreaterThanOrEqual(first.expiresAt);
    expect(second.epoch).toBeGreaterThan(first.epoch);
    expect(await codeOf(a.write('order', rec(2, first.epoch)))).toBe('fenced');
    expect(await codeOf(first.renew())).toBe('fenced');
    await b.write('order', rec(2, second.epoch));
    // The old lease's release must not free the new owner's lease.
    await first.release();
    expect(await codeOf(a.acquire('order'))).toBe('lock-held');
    await second.release();
    await second.release();
  });

  it('renews held leases in the background so a live holder keeps its key', async () => {
    const a = make();
    const b = make();
    const lease = await a.acquire('busy', { ttlMs: 300 });
    const before = lease.expiresAt;
    await new Promise((r) => setTimeout(r, 900));
    expect(await codeOf(b.acquire('busy'))).toBe('lock-held');
    expect(lease.expiresAt).toBeGreaterThan(before);
    await a.dispose();
    // dispose released it: no need to wait for expiry.
    const next = await b.acquire('busy');
    expect(next.epoch).toBeGreaterThan(lease.epoch);
  });

  it('measures expiry with the database clock', async () => {
    const a = make({ renewLeases: false });
    const lease = await a.acquire('clock', { ttlMs: 10_000 });
    const { rows } = await env.admin.query<{ now_ms: number }>(
      'SELECT (extract(epoch FROM now()) * 1000)::float8 AS now_ms',
    );
    expect(Math.abs(lease.expiresAt - (rows[0]!.now_ms + 10_000))).toBeLessThan(2000);
    const { rows: heads } = await env.admin.query(
      `SELECT owner, expires_at > now() + interval '5 seconds' AS later FROM "${env.schema}".xstate_checkpoints_heads WHERE key = 'clock'`,
    );
    expect(heads[0]).toMatchObject({ later: true });
    await lease.release();
    const { rows: after } = await env.admin.query(
      `SELECT owner, expires_at FROM "${env.schema}".xstate_checkpoints_heads WHERE key = 'clock'`,
    );
    expect(after[0]).toEqual({ owner: null, expires_at: null });
  });

  it('starts the epoch past every stored generation, also rows written without a head', async () => {
    const a = make();
    await a.write('imported', rec(1, 10));
    expect((await a.acquire('imported')).epoch).toBe(11);
    await env.admin.query(
      `INSERT INTO "${env.schema}".xstate_checkpoints (key, seq, epoch, created_at, byte_length, payload)
       VALUES ('legacy', 3, 20, now(), 1, '\\x01')`,
    );
    const lease = await a.acquire('legacy');
    expect(lease.epoch).toBe(21);
    // The head also learned the highest stored sequence.
    expect(await codeOf(a.write('legacy', rec(3, lease.epoch)))).toBe('conflict');
    await a.write('legacy', rec(4, lease.epoch));
  });

  it('fences writers without a lease once a key was acquired', async () => {
    const a = make();
    await a.write('mixed', rec(1, 0));
    const lease = await a.acquire('mixed');
    expect(await codeOf(a.write('mixed', rec(2, 0)))).toBe('fenced');
    await a.write('mixed', rec(2, lease.epoch));
  });

  it('lets the same adapter take its own key again, fencing its older lease', async () => {
    const a = make();
    const one = await a.acquire('again');
    const two = await a.acquire('again');
    expect(two.epoch).toBe(one.epoch + 1);
    expect(await codeOf(a.write('again', rec(1, one.epoch)))).toBe('fenced');
    await a.write('again', rec(1, two.epoch));
  });

  it('gives up waiting with lock-held after waitMs', async () => {
    const a = make();
    const b = make();
    await a.acquire('held', { ttlMs: 60_000 });
    const started = Date.now();
    expect(await codeOf(b.acquire('held', { waitMs: 300 }))).toBe('lock-held');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('refuses a non-positive ttl with invalid-option', async () => {
    const a = make();
    expect(await codeOf(a.acquire('ttl', { ttlMs: 0 }))).toBe('invalid-option');
  });
});
