import { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import type { RedisAdapterOptions } from 'xstate-checkpoint/adapters/redis';
import { record, runAdapterConformance } from '../conformance/suite.js';
import { redisUrl } from '../server/support.js';
import { codeOf } from '../helpers/errors.js';
import { describeRedis } from '../helpers/servers.js';

await describeRedis('redis adapter', (env) => {
  const filePrefix = env.prefix;
  let durable = false;
  let prefix = filePrefix;
  let n = 0;
  const warnings: string[] = [];

  beforeAll(async () => {
    const [, appendonly] = (await env.admin.call('CONFIG', ['GET', 'appendonly'])) as string[];
    const [, appendfsync] = (await env.admin.call('CONFIG', ['GET', 'appendfsync'])) as string[];
    durable = appendonly === 'yes' && appendfsync === 'always';
  });

  const make = (extra: Partial<RedisAdapterOptions> = {}) =>
    redisAdapter({ url: redisUrl(), prefix, onWarning: (m) => warnings.push(m), ...extra });

  runAdapterConformance('redis', [redisAdapter], {
    create: () => {
      prefix = `${filePrefix}${++n}:`;
      return make();
    },
    createPeer: () => make(),
  });

  it('leaves nothing outside its prefix and cleans up fully when everything is removed', async () => {
    prefix = `${filePrefix}clean:`;
    const adapter = make();
    try {
      await adapter.write('k', record(1));
      await adapter.write('k', record(2));
      const q = await adapter.quarantine('k', 2, 'test');
      await adapter.remove('k', 1);
      await adapter.deleteQuarantined('k', q.id);
      expect(await adapter.keys()).toEqual([]);
      // Only the head (highest sequence and epoch) stays, so sequences are never reused.
      expect((await env.admin.keys(`${prefix}*`)).sort()).toEqual([`${prefix}h:k`]);
    } finally {
      await adapter.dispose();
    }
  });

  it.skipIf(durable)('strict: true refuses a server that would lose acknowledged writes', async () => {
    prefix = `${filePrefix}strict:`;
    const adapter = make({ strict: true });
    try {
      expect(adapter.capabilities.durable).toBe(true);
      const error = await adapter.write('k', record(1)).catch((e: unknown) => e);
      expect(isCheckpointError(error) && error.code).toBe('invalid-option');
      expect(isCheckpointError(error) && error.message).toMatch(/appendonly|appendfsync/);
      expect(await codeOf(adapter.list('k'))).toBe('invalid-option');
      expect(await env.admin.keys(`${prefix}*`)).toEqual([]);
    } finally {
      await adapter.dispose();
    }
  });

  it.skipIf(durable)('without strict it warns once, then works', async () => {
    prefix = `${filePrefix}lenient:`;
    const seen: string[] = [];
    const adapter = make({ onWarning: (m) => seen.push(m) });
    try {
      expect(adapter.capabilities.durable).toBe(false);
      await adapter.write('k', record(1));
      await adapter.write('k', record(2));
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([2, 1]);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/appendonly no|appendfsync/);
      expect(seen[0]).toMatch(/strict: true/);
    } finally {
      await adapter.dispose();
    }
  });

  it.runIf(durable)('accepts a server with appendonly yes and appendfsync always, silently', async () => {
    const seen: string[] = [];
    const adapter = make({ strict: true, onWarning: (m) => seen.push(m) });
    try {
      await adapter.write('k', record(1));
      expect(seen).toEqual([]);
    } finally {
      await adapter.dispose();
    }
  });

  it('hands an expired lease over by the server clock and fences the old owner', async () => {
    prefix = `${filePrefix}lease:`;
    const a = make({ renewLeases: false, owner: 'worker-a' });
    const b = make({ owner: 'worker-b' });
    try {
      const first = await a.acquire('k', { ttlMs: 300 });
      await a.write('k', record(1, first.epoch));
      const held = await b.acquire('k').catch((e: unknown) => e);
      expect(isCheckpointError(held) && held.code).toBe('lock-held');
      expect(isCheckpointError(held) && held.message).toContain('worker-a');
      const second = await b.acquire('k', { waitMs: 3000 });
      expect(second.epoch).toBe(first.epoch + 1);
      expect(await codeOf(a.write('k', record(2, first.epoch)))).toBe('fenced');
      expect(await codeOf(first.renew())).toBe('fenced');
      await first.release();
      expect(await codeOf(a.acquire('k'))).toBe('lock-held');
      await b.write('k', record(2, second.epoch));
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  it('renews leases in the background and releases them on dispose', async () => {
    prefix = `${filePrefix}renew:`;
    const a = make();
    const b = make();
    try {
      const lease = await a.acquire('k', { ttlMs: 300 });
      await new Promise((r) => setTimeout(r, 800));
      expect(await codeOf(b.acquire('k'))).toBe('lock-held');
      await a.dispose();
      expect((await b.acquire('k')).epoch).toBe(lease.epoch + 1);
    } finally {
      await b.dispose();
    }
  });

  it('keeps no cache between list() and read(): a generation removed in between is gone', async () => {
    prefix = `${filePrefix}nocache:`;
    const a = make();
    const peer = make();
    try {
      await a.write('k', record(1));
      await a.write('k', record(2));
      expect((await a.list('k'))[0]?.seq).toBe(2);
      await peer.remove('k', 2);
      expect(await a.read('k', 2)).toBeUndefined();
      const found = await a.readNewest('k');
      expect([found.seqs, found.newest?.seq]).toEqual([[1], 1]);
      expect(found.newest?.bytes).toEqual(record(1).bytes);
    } finally {
      await a.dispose();
      await peer.dispose();
    }
  });

  it('reports an unreachable server as connection', async () => {
    const adapter = redisAdapter({
      url: 'redis://127.0.0.1:1',
      clientOptions: { retryStrategy: () => 20, connectTimeout: 500 },
      attempts: 2,
      onWarning: () => undefined,
    });
    try {
      expect(await codeOf(adapter.list('k'))).toBe('connection');
      expect(await codeOf(adapter.write('k', record(1)))).toBe('connection');
    } finally {
      await adapter.dispose();
    }
  });

  it('does not close a client it was given', async () => {
    prefix = `${filePrefix}given:`;
    const client = new Redis(redisUrl());
    const adapter = redisAdapter({ client, prefix, onWarning: () => undefined });
    await adapter.write('k', record(1));
    await adapter.dispose();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});
