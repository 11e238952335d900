import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { persistActor, type CheckpointAdapter } from 'xstate-checkpoint';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { startStudio, type Studio } from '../../studio/server.js';
import { describePostgres, describeRedis } from '../helpers/servers.js';
import { pgConfig, redisUrl } from '../server/support.js';
import { buildPage, nextEvent, removeDir, workDir, writeMachine } from './fixture.js';

// On the server stores the studio's live view comes from the adapter's notices (LISTEN/NOTIFY,
// Redis pub/sub), not from polling: the poll here is an hour, so only a notice can deliver in time.
let work: string;
let assets: string;
let machine: AnyStateMachine;
beforeAll(async () => {
  work = await workDir();
  assets = await buildPage(`${work}/page`);
  ({ machine } = await writeMachine(work));
}, 60_000);
afterAll(async () => {
  if (work) await removeDir(work);
});

function liveCase(make: () => CheckpointAdapter) {
  it('a generation another process writes reaches the open page through the adapter’s notices', async () => {
    const reader = make();
    const writer = make();
    let studio: Studio | undefined;
    try {
      const first = await persistActor(machine, { key: 'live-1', adapter: writer, flushOnExit: false });
      await first.flush();
      await first.close();
      studio = await startStudio({ adapter: reader, assetsDir: assets, pollMs: 3_600_000, keysPollMs: 3_600_000 });
      const info = (await (await fetch(`${studio.url}api/info`)).json()) as { notices: boolean };
      expect(info.notices).toBe(true);
      const t0 = performance.now();
      const seen = await nextEvent(studio.url, 'live-1', 'generation', async () => {
        const p = await persistActor(machine, { key: 'live-1', adapter: writer, flushOnExit: false });
        p.actor.send({ type: 'ADD' });
        await p.flush();
        await p.close();
      });
      expect(seen).toMatchObject({ key: 'live-1' });
      expect((seen as { seq: number }).seq).toBeGreaterThan(1);
      console.log(
        `studio live update on ${reader.name}: ${(performance.now() - t0).toFixed(0)} ms from the write starting`,
      );
    } finally {
      await studio?.close();
      await reader.dispose();
      await writer.dispose();
    }
  }, 30_000);
}

await describePostgres('studio on PostgreSQL', 'studio', (env) => {
  liveCase(() => postgresAdapter({ poolConfig: { ...pgConfig(), max: 2 }, schema: env.schema }));
});

await describeRedis('studio on Redis', (env) => {
  liveCase(() => redisAdapter({ url: redisUrl(), prefix: env.prefix }));
});
