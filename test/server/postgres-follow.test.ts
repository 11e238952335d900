import { expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { pgConfig } from './support.js';
import { describePostgres } from '../helpers/servers.js';

// A standby service instance on PostgreSQL: it follows the lease holder
// read-only (polling) and becomes the writer when the holder shuts down.
const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

await describePostgres('follow mode on PostgreSQL', 'pgfollow', (env) => {
  const make = () => postgresAdapter({ poolConfig: { ...pgConfig(), max: 2 }, schema: env.schema, table: 'follow' });

  it('a standby instance mirrors the lease holder and takes over with its state when it shuts down', async () => {
    const [a, b] = [make(), make()];
    try {
      const options = { key: 'svc', lock: { ttlMs: 5_000 }, debounce: { wait: 0, maxWait: 0 }, flushOnExit: false };
      const writer = await persistActor(counter, { ...options, adapter: a });
      const standby = await persistActor(counter, { ...options, adapter: b, follow: { pollMs: 50 } });
      expect([writer.role, standby.role]).toEqual(['writer', 'follower']);
      for (let i = 0; i < 3; i++) writer.actor.send({ type: 'INC' });
      const acked = await writer.flush();
      await expect.poll(() => standby.actor.getSnapshot().context.count, { timeout: 5_000 }).toBe(3);
      expect(standby.restored.seq).toBe(acked?.seq);

      const closedAt = Date.now();
      await writer.close();
      await expect.poll(() => standby.role, { timeout: 10_000, interval: 20 }).toBe('writer');
      const tookOverMs = Date.now() - closedAt;
      expect(standby.actor.getSnapshot().context.count).toBe(3);
      standby.actor.send({ type: 'INC' });
      expect((await standby.flush())?.seq).toBe(acked!.seq + 1);
      const [newest, previous] = await b.list('svc');
      expect(newest!.epoch).toBeGreaterThan(previous!.epoch);
      console.log(`postgres follow: the standby took over ${tookOverMs} ms after the holder shut down`);
      await standby.close();
    } finally {
      await a.dispose();
      await b.dispose();
    }
  }, 30_000);
});
