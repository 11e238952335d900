import { expect, it } from 'vitest';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { startTcpProxy } from './proxy.js';
import { redisUrl } from './support.js';
import { codeOf } from '../helpers/errors.js';
import { describeRedis } from '../helpers/servers.js';

// ioredis's commandTimeout rejects a command the server has not answered; the command may have
// run. That is `timeout` (in doubt), never `io`. A relay that swallows replies makes exactly that
// happen to this client alone (no CLIENT PAUSE, which would stall every other test's Redis).

const bytes = new Uint8Array([1, 2, 3]);

await describeRedis('redis: a command that times out', (env) => {
  it('rejects with timeout though the write landed; after a reconnect the next seq writes as usual', async () => {
    const target = new URL(redisUrl());
    const proxy = await startTcpProxy(target.hostname || '127.0.0.1', Number(target.port || 6379));
    const adapter = redisAdapter({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix: env.prefix,
      clientOptions: { commandTimeout: 200 },
    });
    try {
      await adapter.list('k'); // connected, scripts loaded
      proxy.dropReplies();
      expect(await codeOf(adapter.write('k', { seq: 1, epoch: 0, createdAt: 0, byteLength: 3, bytes }))).toBe(
        'timeout',
      );
      proxy.cut(); // the client reconnects through the relay, which passes replies again
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
      await adapter.write('k', { seq: 2, epoch: 0, createdAt: 0, byteLength: 3, bytes });
      expect((await adapter.list('k')).map((g) => g.seq)).toEqual([2, 1]);
    } finally {
      await adapter.dispose();
      await proxy.close();
    }
  });
});
