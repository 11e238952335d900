import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import type { CheckpointAdapter, CheckpointRecord } from 'xstate-checkpoint';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { startTcpProxy } from './proxy.js';
import { redisUrl } from './support.js';
import { codeOf } from '../helpers/errors.js';
import { describeRedis } from '../helpers/servers.js';

const rec = (seq: number, text: string): CheckpointRecord => {
  const bytes = new TextEncoder().encode(text);
  return { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes };
};

await describeRedis('redis: concurrent writers and lost replies', (env) => {
  const { prefix } = env;
  const opened: CheckpointAdapter[] = [];
  const make = (options: Parameters<typeof redisAdapter>[0] = {}) => {
    const adapter = redisAdapter({ url: redisUrl(), prefix, onWarning: () => undefined, ...options });
    opened.push(adapter);
    return adapter;
  };

  afterAll(async () => {
    await Promise.all(opened.map((a) => a.dispose()));
  });

  it('8 writers (separate connections) on one key: every acknowledged save stored, the rest conflicts', async () => {
    const writers = Array.from({ length: 8 }, () => make());
    const acked = new Map<number, string>();
    const codes: string[] = [];
    await Promise.all(
      writers.map(async (adapter, w) => {
        let mine = 0;
        for (let attempt = 0; mine < 12 && attempt < 400; attempt++) {
          const newest = (await adapter.list('shared'))[0]?.seq ?? 0;
          const text = `writer ${w} attempt ${attempt}`;
          const code = await codeOf(adapter.write('shared', rec(newest + 1, text)));
          codes.push(code);
          if (code === 'ok') {
            expect(acked.has(newest + 1)).toBe(false);
            acked.set(newest + 1, text);
            mine++;
          }
        }
        expect(mine).toBe(12);
      }),
    );
    expect(codes.filter((c) => c !== 'ok' && c !== 'conflict')).toEqual([]);
    expect(codes.filter((c) => c === 'conflict').length).toBeGreaterThan(0);
    const stored = await env.admin.hgetall(`${prefix}b:shared`);
    expect(Object.keys(stored)).toHaveLength(96);
    for (const [seq, text] of acked) expect(stored[String(seq)], `acknowledged seq ${seq}`).toBe(text);
  });

  it('a reply lost and the server gone: typed error, then the retry finds its own generation', async () => {
    const url = new URL(redisUrl());
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 6379));
    const via = `redis://127.0.0.1:${proxy.port}`;
    const once = make({ url: via, attempts: 1 });
    const retrying = make({ url: via });
    try {
      await once.write('lost', rec(1, 'one'));
      proxy.dropReplies();
      const pending = codeOf(once.write('lost', rec(2, 'two')));
      await new Promise((r) => setTimeout(r, 200));
      // The server stays unreachable long enough for the client to give up on the command.
      await proxy.pause();
      expect(await pending).toBe('connection');
      await proxy.resume();
      expect(await env.admin.hget(`${prefix}b:lost`, '2')).toBe('two');
      expect(await codeOf(once.write('lost', rec(2, 'two')))).toBe('ok');
      expect(await codeOf(once.write('lost', rec(2, 'two')))).toBe('conflict');
      expect(await codeOf(once.write('lost', rec(2, 'other')))).toBe('conflict');

      // Back within the client's patience: it resends, the script sees its own token, the caller sees success.
      await retrying.list('lost');
      proxy.dropReplies();
      const quiet = codeOf(retrying.write('lost', rec(3, 'three')));
      await new Promise((r) => setTimeout(r, 200));
      proxy.cut();
      expect(await quiet).toBe('ok');
      expect((await once.list('lost')).map((g) => g.seq)).toEqual([3, 2, 1]);
    } finally {
      await proxy.close();
    }
  });

  it('a client that resends unanswered commands on reconnect does not turn its own write into a conflict', async () => {
    const url = new URL(redisUrl());
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 6379));
    // ioredis's defaults: unfulfilled commands are sent again after reconnecting.
    const client = new Redis(`redis://127.0.0.1:${proxy.port}`);
    client.on('error', () => undefined);
    const adapter = make({ client, attempts: 1 });
    try {
      await adapter.write('resent', rec(1, 'one'));
      proxy.dropReplies();
      const pending = codeOf(adapter.write('resent', rec(2, 'two')));
      await new Promise((r) => setTimeout(r, 200));
      proxy.cut();
      expect(await pending).toBe('ok');
      expect(await env.admin.zrange(`${prefix}g:resent`, '0', '-1')).toEqual(['1', '2']);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });
});
