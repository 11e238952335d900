import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, taggedJsonCodec } from 'xstate-checkpoint';
import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { startOrderService } from '../../examples/node-service/service.js';
import { pgUrl } from './support.js';
import { describePostgres } from '../helpers/servers.js';

const script = fileURLToPath(new URL('../../examples/node-service/two-instances.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('examples/node-service on the filesystem adapter', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xsc-node-service-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('acknowledges a webhook only once its checkpoint is durable, and restores it after a restart', async () => {
    const adapter = fileAdapter({ dir });
    const service = await startOrderService({ adapter, instance: 'one', leaseTtlMs: 2000 });
    const pay = await post(`${service.url}/orders/o-1/webhooks`, { type: 'PAY', webhookId: 'wh-1' });
    expect(pay.status).toBe(200);
    expect(pay.body).toMatchObject({ state: 'paid', recorded: true });

    // At the moment of the 200, a separate reader of the same folder already sees the event.
    const reader = fileAdapter({ dir });
    const newest = (await reader.list('order:o-1'))[0]!;
    expect(newest.seq).toBe(pay.body['seq']);
    const data = taggedJsonCodec.decode(openEnvelope((await reader.read('order:o-1', newest.seq))!).payload) as {
      snapshot: { value: string; context: { applied: Array<{ webhookId: string }> } };
    };
    expect(data.snapshot.value).toBe('paid');
    expect(data.snapshot.context.applied.map((a) => a.webhookId)).toEqual(['wh-1']);
    await reader.dispose();

    expect((await post(`${service.url}/orders/o-1/webhooks`, { type: 'NOPE' })).status).toBe(400);
    // Reading an order that was never stored is a 404, and leaves nothing behind (no order, no lock folder).
    const before = await readdir(dir);
    const unknown = await fetch(`${service.url}/orders/never-stored`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no such order' });
    expect(await readdir(dir)).toEqual(before);
    expect(await adapter.keys()).toEqual(['order:o-1']);
    await service.close();
    await adapter.dispose();

    const adapter2 = fileAdapter({ dir });
    const again = await startOrderService({ adapter: adapter2, instance: 'two', leaseTtlMs: 2000 });
    try {
      const state = (await (await fetch(`${again.url}/orders/o-1`)).json()) as Record<string, unknown>;
      expect(state).toMatchObject({ state: 'paid', instance: 'two' });
      const redelivered = await post(`${again.url}/orders/o-1/webhooks`, { type: 'PAY', webhookId: 'wh-1' });
      expect(redelivered.body).toMatchObject({ state: 'paid', recorded: true });
      expect(redelivered.body['applied']).toEqual([{ webhookId: 'wh-1', type: 'PAY', instance: 'one' }]);
      const early = await post(`${again.url}/orders/o-1/webhooks`, { type: 'DELIVER', webhookId: 'wh-3' });
      expect(early.body).toMatchObject({ state: 'paid', recorded: false });
      const ship = await post(`${again.url}/orders/o-1/webhooks`, { type: 'SHIP', webhookId: 'wh-2' });
      expect(ship.body).toMatchObject({ state: 'shipped', recorded: true });
      expect(ship.body['applied']).toEqual([
        { webhookId: 'wh-1', type: 'PAY', instance: 'one' },
        { webhookId: 'wh-2', type: 'SHIP', instance: 'two' },
      ]);
    } finally {
      await again.close();
      await adapter2.dispose();
    }
  });
});

describe('examples/node-service answers 5xx with a cause in the log', () => {
  it('logs why a webhook could not be made durable, and answers only the code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xsc-node-service-'));
    const inner = fileAdapter({ dir });
    const refused = new CheckpointError('permission', { adapter: 'fs', detail: 'EACCES: the disk said no' });
    const adapter = {
      ...inner,
      write: async () => {
        throw refused;
      },
    };
    const lines: string[] = [];
    const service = await startOrderService({ adapter, instance: 'one', log: (line) => lines.push(line) });
    try {
      const pay = await post(`${service.url}/orders/o-9/webhooks`, { type: 'PAY', webhookId: 'wh-1' });
      expect(pay).toEqual({ status: 503, body: { error: 'permission' } });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('[one] 503 POST /orders/o-9/webhooks: ');
      expect(lines[0]).toContain('EACCES: the disk said no');
    } finally {
      await service.close();
      await inner.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

await describePostgres('examples/node-service: two instances on PostgreSQL', 'service', (env) => {
  it(
    'two-instances.ts: an order moves to the surviving instance with every acknowledged webhook',
    { timeout: 120_000 },
    async () => {
      // As the README says, on a machine without $USER (containers, CI): a URL without a user,
      // which the example completes as `postgres` (or PGUSER, when the server has no such role).
      const url = new URL(pgUrl());
      const { rows: roles } = await env.admin.query(`SELECT 1 FROM pg_roles WHERE rolname = 'postgres'`);
      const user = roles.length > 0 ? 'postgres' : decodeURIComponent(url.username);
      url.username = '';
      const { USER: _user, PGUSER: _pguser, ...inherited } = process.env;
      const child = spawn(process.execPath, ['--import', 'tsx', script, 'order-test'], {
        cwd: root,
        env: {
          ...inherited,
          ...(user === '' || user === 'postgres' ? {} : { PGUSER: user }),
          DATABASE_URL: url.toString(),
          CHECKPOINT_SCHEMA: env.schema,
          LEASE_TTL_MS: '1500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(output).not.toContain('FAIL');
      expect(output).toContain('the order moved from A to B');
      expect(output).toContain('every acknowledged webhook is in the order: wh-pay@A, wh-ship@B');
      expect(code, output).toBe(0);
      const { rows } = await env.admin.query<{ owner: string | null }>(
        `SELECT owner FROM "${env.schema}".xstate_checkpoints_heads WHERE key = 'order:order-test'`,
      );
      expect(rows).toEqual([{ owner: null }]);
    },
  );
});
