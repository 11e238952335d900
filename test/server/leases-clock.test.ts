// The server adapters' leases on an injected clock: the wait of acquire({ waitMs }) and the
// background renewal are timers on the adapter's `clock`, so a fake one runs them without waiting
// (lease expiry itself stays on the server's clock). Also what both share beyond the clock: an
// acquire that dispose overtakes.
import { afterAll, expect, it } from 'vitest';
import { isCheckpointError, type CheckpointAdapter, type Clock, type Lease } from 'xstate-checkpoint';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { pgConfig, redisUrl } from './support.js';
import { describePostgres, describeRedis } from '../helpers/servers.js';
import { driveClock, manualClock } from '../helpers/manual-clock.js';

type ServerLease = Lease & { readonly expiresAt: number };
interface ServerAdapter extends CheckpointAdapter {
  acquire(key: string, options?: { ttlMs?: number; waitMs?: number }): Promise<ServerLease>;
}
type Make = (options: { clock?: Clock; renewLeases?: boolean }) => ServerAdapter;

function leaseCases(make: Make): void {
  it('waits for a held lease by the adapter clock, then refuses with lock-held', async () => {
    const holder = make({ renewLeases: false });
    const clock = manualClock();
    const waiter = make({ clock, renewLeases: false });
    const held = await holder.acquire('order', { ttlMs: 60_000 });
    const started = clock.now();
    const { outcome, fired } = await driveClock(clock, waiter.acquire('order', { waitMs: 3_000 }));
    expect(outcome.status === 'rejected' && isCheckpointError(outcome.reason) && outcome.reason.code).toBe('lock-held');
    // Pauses of 250 ms each (the lease has about 60 s left), all on the fake clock: none of the 3 s passed for real.
    expect(fired).toBe(3_000 / 250);
    expect(clock.now() - started).toBe(3_000);
    await held.release();
  });

  it('renews a held lease every third of its lifetime by the adapter clock', async () => {
    const clock = manualClock();
    const adapter = make({ clock, renewLeases: true });
    const lease = await adapter.acquire('renewed', { ttlMs: 30_000 });
    const first = lease.expiresAt;
    expect(clock.pending()).toEqual([clock.now() + 10_000]);
    await clock.advance(9_999);
    expect(lease.expiresAt).toBe(first);
    // Let the server's own clock move, so the renewed expiry is visibly later.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await clock.advance(1);
    await expect.poll(() => lease.expiresAt, { timeout: 5_000 }).toBeGreaterThan(first);
    // And the next renewal is scheduled on the same clock.
    await expect.poll(() => clock.pending(), { timeout: 5_000 }).toEqual([clock.now() + 10_000]);
    await lease.release();
    expect(clock.pending()).toEqual([]);
  });

  it('an acquire that dispose overtakes (its take in flight) rejects with closed and leaves the key free', async () => {
    const adapter = make({});
    await adapter.list('warm');
    const acquiring = adapter.acquire('overtaken', { ttlMs: 60_000 }).then(
      () => 'granted',
      (error: unknown) => (isCheckpointError(error) ? error.code : 'untyped'),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await adapter.dispose();
    expect(await acquiring).toBe('closed');
    const next = make({});
    const lease = await next.acquire('overtaken', { ttlMs: 60_000 });
    await lease.release();
  });
}

await describePostgres('postgres: leases on the adapter clock', 'leaseclock', (env) => {
  const opened: CheckpointAdapter[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((a) => a.dispose()));
  });
  leaseCases((options) => {
    const adapter = postgresAdapter({ poolConfig: { ...pgConfig(), max: 2 }, schema: env.schema, ...options });
    opened.push(adapter);
    return adapter;
  });
});

await describeRedis('redis: leases on the adapter clock', (env) => {
  const opened: CheckpointAdapter[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((a) => a.dispose()));
  });
  leaseCases((options) => {
    const adapter = redisAdapter({ url: redisUrl(), prefix: env.prefix, onWarning: () => undefined, ...options });
    opened.push(adapter);
    return adapter;
  });
});
