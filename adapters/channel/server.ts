import type { CheckpointAdapter, GenerationNotice, Lease } from '../../src/adapter.js';
import { CheckpointError, toCheckpointError } from '../../src/errors.js';
import { readNewestOf } from '../../src/read-newest.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { unrefTimer } from '../shared/clock.js';
import {
  NOTICE_WAIT_MS,
  acquireOptionsOf,
  checkRecord,
  errorData,
  invalid,
  isChannelMethod,
  isObject,
  number,
  string,
  type ChannelDescription,
  type ChannelRequest,
  type ChannelResponse,
} from './wire.js';

/** Options of {@link serveAdapter}. */
export interface ServeAdapterOptions {
  /**
   * Decides whether a request may run (for example, keys of one window only).
   * Refused requests fail with `permission`. Receives whatever context the
   * transport passed to the handler (Electron's `IpcMainInvokeEvent`, ...).
   * @default every request runs
   */
  readonly authorize?: (request: ChannelRequest, context: unknown) => boolean | Promise<boolean>;
  /** Time for how long a client's `notices` call may wait on the server. @default systemClock */
  readonly clock?: Clock;
}

/** A running {@link serveAdapter}. */
export interface ServedAdapter {
  /** The handler, for transports that want to call it directly. */
  readonly handler: (request: unknown, context?: unknown) => Promise<ChannelResponse>;
  /** Stops answering (unregisters through what `handle` returned) and releases the leases it handed out. */
  close(): Promise<void>;
}

/**
 * The serving side of a channel: answers {@link channelAdapter} requests with
 * `adapter`. `handle` registers the handler with the transport and may return
 * a function that unregisters it. Every answer is a {@link ChannelResponse}:
 * errors travel as data, never as rejections (Electron flattens those to a
 * message string). Requests are checked before they reach the adapter: an
 * unknown method, a non-string key or a record without `Uint8Array` bytes
 * fail with `invalid-option`.
 *
 * @example
 * ```ts
 * import { serveAdapter } from 'xstate-checkpoint/adapters/channel';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * declare const ipcMain: { handle(channel: string, fn: (event: unknown, request: unknown) => unknown): void;
 *   removeHandler(channel: string): void };
 * const served = serveAdapter(memoryAdapter(), (handler) => {
 *   ipcMain.handle('checkpoints', (event, request) => handler(request, event));
 *   return () => ipcMain.removeHandler('checkpoints');
 * });
 * await served.close();
 * ```
 */
export function serveAdapter(
  adapter: CheckpointAdapter,
  handle: (handler: (request: unknown, context?: unknown) => Promise<ChannelResponse>) => void | (() => void),
  options: ServeAdapterOptions = {},
): ServedAdapter {
  const leases = new Map<string, Lease>();
  const subscriptions = new Map<string, ServedSubscription>();
  let nextLease = 0;
  let nextSubscription = 0;
  let closed = false;

  const run = async (request: ChannelRequest): Promise<unknown> => {
    const { method } = request;
    const args = request.args;
    const key = args[0];
    const keyed = !['describe', 'keys', 'release', 'notices', 'unsubscribe'].includes(method);
    if (keyed && !(method === 'listQuarantine' && args.length === 0) && typeof key !== 'string') {
      throw invalid(`${method}: the key must be a string`);
    }
    const k = key as string;
    switch (method) {
      case 'describe':
        return {
          name: adapter.name,
          capabilities: { ...adapter.capabilities },
          subscribe: typeof adapter.subscribe === 'function',
        } satisfies ChannelDescription;
      case 'list':
        return adapter.list(k);
      case 'readNewest': {
        const { generations: _listed, ...found } = await readNewestOf(adapter, k);
        return found;
      }
      case 'read':
        return adapter.read(k, number(args[1], 'seq'));
      case 'write':
        return adapter.write(k, checkRecord(args[1]));
      case 'remove':
        return adapter.remove(k, number(args[1], 'seq'));
      case 'keys':
        return adapter.keys();
      case 'quarantine':
        return adapter.quarantine(k, number(args[1], 'seq'), string(args[2], 'reason'));
      case 'listQuarantine':
        return adapter.listQuarantine(args.length === 0 ? undefined : k);
      case 'readQuarantined':
        return adapter.readQuarantined(k, string(args[1], 'id'));
      case 'deleteQuarantined':
        return adapter.deleteQuarantined(k, string(args[1], 'id'));
      case 'acquire': {
        if (!adapter.acquire) throw invalid(`adapter "${adapter.name}" has no locks`, k);
        const acquireOptions = isObject(args[1]) ? acquireOptionsOf(args[1]) : undefined;
        const lease = await adapter.acquire(k, acquireOptions);
        const id = String(++nextLease);
        leases.set(id, lease);
        return { id, epoch: lease.epoch };
      }
      case 'release': {
        const id = string(args[0], 'lease id');
        const lease = leases.get(id);
        leases.delete(id);
        await lease?.release();
        return undefined;
      }
      case 'subscribe': {
        if (!adapter.subscribe) throw invalid(`adapter "${adapter.name}" has no subscribe`, k);
        const id = String(++nextSubscription);
        subscriptions.set(id, servedSubscription(adapter.subscribe.bind(adapter), k, options.clock ?? systemClock));
        return { id };
      }
      case 'notices': {
        const subscription = subscriptions.get(string(args[0], 'subscription id'));
        if (!subscription)
          throw new CheckpointError('closed', { detail: 'no such subscription (the server restarted?)' });
        return subscription.next(Math.max(0, Math.min(NOTICE_WAIT_MS, number(args[1], 'waitMs'))));
      }
      case 'unsubscribe': {
        const id = string(args[0], 'subscription id');
        subscriptions.get(id)?.stop();
        subscriptions.delete(id);
        return undefined;
      }
    }
  };

  const handler = async (request: unknown, context?: unknown): Promise<ChannelResponse> => {
    try {
      if (closed)
        throw new CheckpointError('closed', { adapter: adapter.name, detail: 'the channel server was closed' });
      if (!isObject(request) || typeof request['method'] !== 'string' || !isChannelMethod(request['method'])) {
        throw invalid('not a channel request (unknown method)');
      }
      if (!Array.isArray(request['args'])) throw invalid('request args must be an array');
      const checked = request as unknown as ChannelRequest;
      if (options.authorize && !(await options.authorize(checked, context))) {
        const key = typeof checked.args[0] === 'string' ? checked.args[0] : undefined;
        throw new CheckpointError('permission', { key, adapter: adapter.name, detail: `${checked.method} refused` });
      }
      return { ok: true, value: await run(checked) };
    } catch (error) {
      return { ok: false, error: errorData(toCheckpointError(error, 'io', { adapter: adapter.name })) };
    }
  };

  const unregister = handle(handler);
  return {
    handler,
    async close() {
      if (closed) return;
      closed = true;
      if (typeof unregister === 'function') unregister();
      for (const subscription of subscriptions.values()) subscription.stop();
      subscriptions.clear();
      const held = [...leases.values()];
      leases.clear();
      await Promise.all(held.map((lease) => lease.release().catch(() => undefined)));
    },
  };
}

/** One client's subscription on the serving side: the newest notice not yet fetched, and the call waiting for one. */
interface ServedSubscription {
  /** The newest notice since the last call, or (after up to `waitMs`) `null`. */
  next(waitMs: number): Promise<GenerationNotice | null>;
  /** Ends the adapter subscription and answers a waiting call with `null`. */
  stop(): void;
}

function servedSubscription(
  subscribe: NonNullable<CheckpointAdapter['subscribe']>,
  key: string,
  clock: Clock,
): ServedSubscription {
  // Notices between two calls merge into the newest: a follower only needs to know it is behind.
  let pending: GenerationNotice | undefined;
  let waiting: ((notice: GenerationNotice | null) => void) | undefined;
  let timer: TimerHandle;
  const answer = (notice: GenerationNotice | null) => {
    const resolve = waiting;
    waiting = undefined;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    resolve?.(notice);
  };
  const unsubscribe = subscribe(key, (notice) => {
    if (pending === undefined || notice.seq > pending.seq) pending = notice;
    if (waiting) {
      const newest = pending;
      pending = undefined;
      answer(newest);
    }
  });
  return {
    next(waitMs) {
      if (pending !== undefined) {
        const newest = pending;
        pending = undefined;
        return Promise.resolve(newest);
      }
      answer(null); // one waiting call per subscription: an older one gives way
      return new Promise((resolve) => {
        waiting = resolve;
        timer = clock.setTimeout(() => answer(null), waitMs);
        // The served process's life is its own business, not a waiting client's.
        unrefTimer(timer);
      });
    },
    stop() {
      unsubscribe();
      answer(null);
    },
  };
}
