import { expect, it } from 'vitest';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { redisUrl } from './support.js';
import { codeOf } from '../helpers/errors.js';
import { describeRedis } from '../helpers/servers.js';

// ioredis's commandTimeout rejects a command the server has not answered yet; the command may
// still run (here: once the pause ends). That is `timeout` (in doubt), never `io`.

const bytes = new Uint8Array([1, 2, 3]);

await describeRedis('redis: a command that times out', (env) => {
  it('rejects with timeout; the write may land after, and a later write of the next seq is unaffected', async () => {
    const adapter = redisAdapter({ url: redisUrl(), prefix: env.prefix, clientOptions: { commandTimeout: 100 } });
    try {
      await adapter.list('k'); // connected and the scripts known before the pause
      await env.admin.call('CLIENT', 'PAUSE', '400', 'ALL');
      expect(await codeOf(adapter.write('k', { seq: 1, epoch: 0, createdAt: 0, byteLength: 3, bytes }))).toBe(
        'timeout',
      );
      await new Promise((r) => setTimeout(r, 450));
      const seqs = (await adapter.list('k')).map((g) => g.seq);
      expect([[], [1]]).toContainEqual(seqs);
      await adapter.write('k', { seq: 2, epoch: 0, createdAt: 0, byteLength: 3, bytes });
      expect((await adapter.list('k'))[0]?.seq).toBe(2);
    } finally {
      await adapter.dispose();
    }
  });
});
