// `acquire` of the IndexedDB adapter (the `lock` option): a Web Lock per key and an epoch
// bump. Loaded on first use (index.ts).
import type { AcquireOptions, Lease } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { navigatorOf } from './options.js';
import type { IdbContext } from './store.js';

/**
 * Takes `key`: its Web Lock (released when the tab closes or crashes, given up
 * with `lock-held` after `waitMs`, or at once), then a new fencing epoch in one
 * transaction. Resolves with the lease; an acquire that `dispose` overtakes
 * gives its lock up and rejects with `closed`.
 *
 * @example
 * ```ts
 * import { acquireKey } from './lock.js';
 * import type { IdbContext } from './store.js';
 * declare const cx: IdbContext;
 * const lease = await acquireKey(cx, 'cart', { waitMs: 1000 });
 * await lease.release();
 * ```
 */
export async function acquireKey(s: IdbContext, key: string, acquireOptions: AcquireOptions = {}): Promise<Lease> {
  const { clock, options } = s;
  const locks = options.locks === false ? undefined : (options.locks ?? navigatorOf()?.locks);
  let unlock = () => {};
  if (locks) {
    const waitMs = acquireOptions.waitMs ?? 0;
    // The wait is timed by the adapter's clock (not AbortSignal.timeout), so a fake clock runs it.
    const giveUp = waitMs > 0 ? new AbortController() : undefined;
    const timer = giveUp ? clock.setTimeout(() => giveUp.abort(), waitMs) : undefined;
    const held = await new Promise<boolean>((resolve, reject) => {
      locks
        .request(`${s.channelName}:${key}`, giveUp ? { signal: giveUp.signal } : { ifAvailable: true }, (lock) => {
          clock.clearTimeout(timer);
          if (!lock) return resolve(false);
          // Held until release() (or until the tab closes or crashes).
          const hold = new Promise<void>((r) => (unlock = r));
          resolve(true);
          return hold;
        })
        .catch((error: Error) => {
          clock.clearTimeout(timer);
          if (giveUp?.signal.aborted) resolve(false);
          else reject(error);
        });
    });
    if (!held) throw new CheckpointError('lock-held', { key, adapter: s.name, data: { waitMs } });
  }
  let epoch = 0;
  try {
    await s.run('readwrite', key, (store, on) => {
      s.withMeta(store, on, key, (m) => {
        m.epoch = Math.max(m.epoch, ...m.gens.map((g) => g.epoch)) + 1;
        epoch = m.epoch;
        store.put(m, key);
      });
      return () => undefined;
    });
  } catch (error) {
    unlock();
    throw error;
  }
  // dispose() ran while the epoch was bumped and gave up only the locks it saw: give this one up
  // too, or other tabs see the key held until this one closes.
  if (s.disposed) {
    unlock();
    throw new CheckpointError('closed', { key, adapter: s.name });
  }
  s.leases.add(unlock);
  return {
    epoch,
    async release() {
      s.leases.delete(unlock);
      unlock();
    },
  };
}
