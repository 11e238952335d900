import { describe, expect, it } from 'vitest';
import { systemClock } from 'xstate-checkpoint';
import { serverLeases } from '../../adapters/shared/server-leases.js';

// Regression (redteam): a PostgreSQL or Redis head record whose epoch is past 2^53
// (damaged, or edited by hand) was handed out as the lease's epoch; no envelope can
// carry it, so every write of the actor failed with `encode` through onError.

describe('serverLeases', () => {
  const settings = { clock: systemClock, defaultTtl: 30_000, renewLeases: false, disposed: false };
  const take = (epoch: number) =>
    serverLeases('example', settings, () => undefined, {
      take: async (_key, ttlMs) => ({ epoch, expiresAt: Date.now() + ttlMs }),
      extend: async (_key, _epoch, ttlMs) => Date.now() + ttlMs,
      free: async () => undefined,
    });

  it('refuses an epoch from the store that is no safe positive integer with corrupt, naming it', async () => {
    for (const epoch of [2 ** 53 + 2, Number.NaN, 0, 1.5]) {
      await expect(take(epoch).acquire('k', {}), String(epoch)).rejects.toMatchObject({
        code: 'corrupt',
        key: 'k',
        adapter: 'example',
      });
    }
  });

  it('hands out a sound epoch as before', async () => {
    const leases = take(7);
    const lease = await leases.acquire('k', {});
    expect(lease.epoch).toBe(7);
    await leases.releaseAll();
  });
});
