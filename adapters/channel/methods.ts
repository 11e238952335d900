import type { CheckpointAdapter, Lease } from '../../src/adapter.js';
import type { Clock } from '../../src/clock.js';
import { CheckpointError } from '../../src/errors.js';
import { readNewestOf } from '../../src/read-newest.js';
import { servedSubscription, type ServedSubscription } from './subscription.js';
import {
  NOTICE_WAIT_MS,
  acquireOptionsOf,
  checkRecord,
  invalid,
  isObject,
  number,
  string,
  type ChannelDescription,
  type ChannelMethod,
} from './wire.js';

/** What a served channel hands out and must take back on close: leases and subscriptions, by id. */
export interface ServedHandles {
  readonly leases: Map<string, Lease>;
  readonly subscriptions: Map<string, ServedSubscription>;
  /** True once the server is closed: a lease granted after that is given back, not handed out. */
  readonly closed: () => boolean;
}

/**
 * The `closed` error of a request to a closed channel server.
 *
 * @example
 * ```ts
 * import { serverClosed } from './methods.js';
 * serverClosed('fs', 'order-1').code; // 'closed'
 * ```
 */
export const serverClosed = (adapter: string, key?: string): CheckpointError =>
  new CheckpointError('closed', { key, adapter, detail: 'the channel server was closed' });

/** Runs one checked request's arguments on the served adapter. */
export type ServedMethod = (args: readonly unknown[]) => unknown;

/**
 * The serving side of every channel method, one entry per name of
 * `CHANNEL_METHODS` (the type makes a missing or extra one a compile error).
 * Each checks its own arguments before the adapter sees them: a key that is
 * not a string, a seq that is not a number, a record without `Uint8Array`
 * bytes fail with `invalid-option`.
 *
 * @example
 * ```ts
 * import { servedMethods } from './methods.js';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const handles = { leases: new Map(), subscriptions: new Map(), closed: () => false };
 * const methods = servedMethods(memoryAdapter(), systemClock, handles);
 * await methods.list(['order-1']); // []
 * ```
 */
export function servedMethods(
  adapter: CheckpointAdapter,
  clock: Clock,
  handles: ServedHandles,
): Record<ChannelMethod, ServedMethod> {
  const { leases, subscriptions } = handles;
  let nextId = 0;
  const id = () => String(++nextId);
  return {
    describe: () =>
      ({
        name: adapter.name,
        capabilities: { ...adapter.capabilities },
        subscribe: typeof adapter.subscribe === 'function',
      }) satisfies ChannelDescription,
    list: (args) => adapter.list(keyOf('list', args)),
    readNewest: async (args) => {
      const { generations: _listed, ...found } = await readNewestOf(adapter, keyOf('readNewest', args));
      return found;
    },
    read: (args) => adapter.read(keyOf('read', args), number(args[1], 'seq')),
    write: (args) => adapter.write(keyOf('write', args), checkRecord(args[1])),
    remove: (args) => adapter.remove(keyOf('remove', args), number(args[1], 'seq')),
    keys: () => adapter.keys(),
    quarantine: (args) =>
      adapter.quarantine(keyOf('quarantine', args), number(args[1], 'seq'), string(args[2], 'reason')),
    // Without arguments: the quarantine of every key.
    listQuarantine: (args) => adapter.listQuarantine(args.length === 0 ? undefined : keyOf('listQuarantine', args)),
    readQuarantined: (args) => adapter.readQuarantined(keyOf('readQuarantined', args), string(args[1], 'id')),
    deleteQuarantined: (args) => adapter.deleteQuarantined(keyOf('deleteQuarantined', args), string(args[1], 'id')),
    acquire: async (args) => {
      const key = keyOf('acquire', args);
      if (!adapter.acquire) throw invalid(`adapter "${adapter.name}" has no locks`, key);
      const lease = await adapter.acquire(key, isObject(args[1]) ? acquireOptionsOf(args[1]) : undefined);
      if (handles.closed()) {
        // close() gave up only the leases it saw; this one would stay held with no client to release it.
        await lease.release().catch(() => undefined);
        throw serverClosed(adapter.name, key);
      }
      const leaseId = id();
      leases.set(leaseId, lease);
      return { id: leaseId, epoch: lease.epoch };
    },
    release: async (args) => {
      const leaseId = string(args[0], 'lease id');
      const lease = leases.get(leaseId);
      leases.delete(leaseId);
      await lease?.release();
      return undefined;
    },
    subscribe: (args) => {
      const key = keyOf('subscribe', args);
      if (!adapter.subscribe) throw invalid(`adapter "${adapter.name}" has no subscribe`, key);
      const subscriptionId = id();
      subscriptions.set(subscriptionId, servedSubscription(adapter.subscribe.bind(adapter), key, clock));
      return { id: subscriptionId };
    },
    notices: (args) => {
      const subscription = subscriptions.get(string(args[0], 'subscription id'));
      if (!subscription)
        throw new CheckpointError('closed', { detail: 'no such subscription (the server restarted?)' });
      return subscription.next(Math.max(0, Math.min(NOTICE_WAIT_MS, number(args[1], 'waitMs'))));
    },
    unsubscribe: (args) => {
      const subscriptionId = string(args[0], 'subscription id');
      subscriptions.get(subscriptionId)?.stop();
      subscriptions.delete(subscriptionId);
      return undefined;
    },
  };
}

/** The key argument of a keyed method, which must be a string. */
function keyOf(method: ChannelMethod, args: readonly unknown[]): string {
  const key = args[0];
  if (typeof key !== 'string') throw invalid(`${method}: the key must be a string`);
  return key;
}
