/* global process */
// Run in the clean-install folder by test/package/package.test.ts: save and
// restore through the installed package on memory, fs and IndexedDB
// (fake-indexeddb), and on PostgreSQL and Redis when XSC_RT_PG_URL /
// XSC_RT_REDIS_URL name a server (the adapters load `pg` / `ioredis` from the
// consumer's node_modules). Prints one JSON line: the xstate version used and,
// per adapter, what the restored actor showed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDBFactory } from 'fake-indexeddb';
import { assign, createMachine, fromCallback, waitFor } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';

const child = createMachine({
  id: 'child',
  context: { pings: 0 },
  on: { PING: { actions: assign({ pings: ({ context }) => context.pings + 1 }) } },
});
const order = createMachine({
  id: 'order',
  context: { count: 0, at: new Date(0), tags: new Set() },
  initial: 'open',
  invoke: [
    { id: 'child', src: child },
    { id: 'ticker', src: fromCallback(() => () => undefined) },
  ],
  states: {
    open: {
      on: {
        ADD: {
          actions: [
            assign({
              count: ({ context }) => context.count + 1,
              at: () => new Date(1_700_000_000_000),
              tags: ({ context }) => new Set([...context.tags, `t${context.count}`]),
            }),
            ({ self }) => self.getSnapshot().children.child?.send({ type: 'PING' }),
          ],
        },
        PAY: 'paying',
      },
    },
    // A delayed transition pending at the checkpoint: re-armed after restore.
    paying: { after: { 300: 'paid' } },
    paid: { type: 'final' },
  },
});

async function roundTrip(makeAdapter) {
  const options = { key: 'order-1', flushOnExit: false };
  const adapters = [makeAdapter(), makeAdapter()];
  const first = await persistActor(order, { ...options, adapter: adapters[0] });
  first.actor.send({ type: 'ADD' });
  first.actor.send({ type: 'ADD' });
  first.actor.send({ type: 'PAY' });
  await first.flush();
  await first.close();

  const second = await persistActor(order, { ...options, adapter: adapters[1] });
  const snapshot = second.actor.getSnapshot();
  const seen = {
    source: second.restored.source,
    rejected: second.restored.rejected.length,
    timersRestored: second.restored.timersRestored,
    state: snapshot.value,
    count: snapshot.context.count,
    at: snapshot.context.at instanceof Date ? snapshot.context.at.toISOString() : String(snapshot.context.at),
    tags: [...snapshot.context.tags],
    childPings: snapshot.children.child?.getSnapshot().context.pings,
  };
  const done = await waitFor(second.actor, (s) => s.status === 'done', { timeout: 5000 });
  seen.after = done.value;
  await second.close();
  for (const adapter of adapters) await adapter.dispose?.();
  return seen;
}

const folder = await mkdtemp(join(tmpdir(), 'xsc-roundtrip-'));
try {
  const store = createMemoryStore();
  const factory = new IDBFactory();
  const results = {
    memory: await roundTrip(() => memoryAdapter({ store })),
    fs: await roundTrip(() => fileAdapter({ dir: folder })),
    indexeddb: await roundTrip(() => indexedDbAdapter({ indexedDB: factory })),
  };
  // One table / key prefix per run: other runs use the same servers at the same time.
  const unique = `xsc_pkg_${process.pid}_${Date.now()}`;
  const pgUrl = process.env.XSC_RT_PG_URL;
  if (pgUrl) {
    results.postgres = await roundTrip(() => postgresAdapter({ connectionString: pgUrl, table: unique }));
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${unique}, ${unique}_heads`);
    await client.end();
  }
  const redisUrl = process.env.XSC_RT_REDIS_URL;
  if (redisUrl) {
    results.redis = await roundTrip(() => redisAdapter({ url: redisUrl, prefix: `${unique}:` }));
    const { Redis } = await import('ioredis');
    const client = new Redis(redisUrl);
    const keys = await client.keys(`${unique}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  }
  // The xstate this process resolved (the resolve hook may point it at another version).
  const xstatePackage = join(dirname(fileURLToPath(import.meta.resolve('xstate'))), '..', 'package.json');
  const { version } = JSON.parse(await readFile(xstatePackage, 'utf8'));
  process.stdout.write(JSON.stringify({ xstate: version, results }));
} finally {
  await rm(folder, { recursive: true, force: true });
}
