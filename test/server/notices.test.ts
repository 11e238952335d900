import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import type { CheckpointAdapter, CheckpointEvent, GenerationNotice } from 'xstate-checkpoint';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { record } from '../conformance/suite.js';
import { describePostgres, describeRedis } from '../helpers/servers.js';
import { pgConfig, pgUrl, randomSuffix, redisUrl } from './support.js';

// subscribe() on the server adapters (LISTEN/NOTIFY, Redis pub/sub): a notice per write of
// the key, from any process, nothing after unsubscribe; and how fast a follower sees the
// writer's acknowledged generation with notices against polling (logged, not asserted).
const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
const ROUNDS = 12;
const child = fileURLToPath(new URL('./fixtures/subscribe-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the subscribe child; a subscription that outlives dispose keeps it alive until the kill. */
async function subscribeChild(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    proc.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, stdout };
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The adapter as followers saw it before notices: the same store, no `subscribe`. */
const withoutSubscribe = (adapter: CheckpointAdapter): CheckpointAdapter => {
  const { subscribe: _dropped, ...rest } = adapter;
  return rest;
};

/**
 * Medians over the rounds: ms from the writer's flush() call to its acknowledgement, and to
 * the follower's `follow` event for that generation (which may come before the writer's
 * own continuation runs).
 */
async function followerLatency(writerAdapter: CheckpointAdapter, followerAdapter: CheckpointAdapter, key: string) {
  const seen = new Map<number, number>();
  const options = { key, lock: { ttlMs: 10_000 }, debounce: { wait: 0, maxWait: 0 }, flushOnExit: false };
  const writer = await persistActor(counter, { ...options, adapter: writerAdapter });
  const follower = await persistActor(counter, {
    ...options,
    adapter: followerAdapter,
    follow: { takeOver: false },
    onEvent: (event: CheckpointEvent) => {
      if (event.type === 'follow') seen.set(event.seq, performance.now());
    },
  });
  expect(follower.role).toBe('follower');
  const acks: number[] = [];
  const follows: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // Spread the writes evenly over the 1000 ms poll interval, as independent traffic would be.
      await new Promise((r) => setTimeout(r, (i * 1000) / ROUNDS));
      const start = performance.now();
      writer.actor.send({ type: 'INC' });
      const acked = (await writer.flush())!;
      acks.push(performance.now() - start);
      await until(() => seen.has(acked.seq), 15_000);
      follows.push(seen.get(acked.seq)! - start);
    }
    expect(follower.actor.getSnapshot().context.count).toBe(ROUNDS);
  } finally {
    await follower.close();
    await writer.close();
  }
  return { ack: median(acks), follow: median(follows) };
}

function noticeCases(
  name: string,
  make: () => CheckpointAdapter & Required<Pick<CheckpointAdapter, 'subscribe'>>,
  childEnv: () => Record<string, string>,
) {
  it(`${name}: subscriptions never keep the process alive after unsubscribe and dispose`, async () => {
    const result = await subscribeChild(childEnv());
    expect(result.stdout).toMatch(/^done k \d+\n$/);
    expect([result.code, result.signal]).toEqual([0, null]);
  }, 30_000);

  it(`${name}: announces each write of the key from another adapter, and nothing after unsubscribe`, async () => {
    const [writer, reader] = [make(), make()];
    const notices: GenerationNotice[] = [];
    const others: GenerationNotice[] = [];
    try {
      const stop = reader.subscribe('k', (notice) => notices.push(notice));
      reader.subscribe('other', (notice) => others.push(notice));
      // The subscription catches up with the head once it listens: wait for it to be live.
      await writer.write('k', record(1));
      await until(() => notices.some((n) => n.seq === 1));
      await writer.write('k', record(2, 3));
      await until(() => notices.some((n) => n.seq === 2));
      expect(notices.find((n) => n.seq === 2)).toEqual({ key: 'k', seq: 2, epoch: 3 });
      expect(others).toEqual([]);
      stop();
      const count = notices.length;
      await writer.write('k', record(3, 3));
      await writer.write('other', record(1));
      await until(() => others.length > 0);
      expect(notices.length).toBe(count);
    } finally {
      await writer.dispose();
      await reader.dispose();
    }
  });

  it(`${name}: a follower sees the writer's acknowledged generation sooner with notices than by polling`, async () => {
    const pairs = [make(), make(), make(), make()] as const;
    try {
      const polling = await followerLatency(pairs[0], withoutSubscribe(pairs[1]), `poll-${randomSuffix()}`);
      const noticed = await followerLatency(pairs[2], pairs[3], `notice-${randomSuffix()}`);
      const show = (t: { ack: number; follow: number }) =>
        `follower ${t.follow.toFixed(1)} ms (writer acknowledged at ${t.ack.toFixed(1)} ms)`;
      console.log(
        `${name} follower latency, medians of ${ROUNDS} from flush(): polling every 1000 ms: ${show(polling)}; notices: ${show(noticed)}`,
      );
    } finally {
      await Promise.all(pairs.map((a) => a.dispose()));
    }
  }, 60_000);
}

await describePostgres('postgres notices', 'notices', (env) => {
  noticeCases(
    'postgres',
    () => postgresAdapter({ poolConfig: { ...pgConfig(), max: 2 }, schema: env.schema, table: 'notices' }),
    () => ({ XSC_STORE: 'postgres', XSC_URL: pgUrl(), XSC_SCHEMA: env.schema }),
  );
});

await describeRedis('redis notices', (env) => {
  noticeCases(
    'redis',
    () => redisAdapter({ url: redisUrl(), prefix: env.prefix, onWarning: () => undefined }),
    () => ({ XSC_STORE: 'redis', XSC_URL: redisUrl(), XSC_PREFIX: `${env.prefix}child:` }),
  );
});
