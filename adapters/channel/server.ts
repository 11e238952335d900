import type { CheckpointAdapter, Lease } from '../../src/adapter.js';
import { CheckpointError, toCheckpointError } from '../../src/errors.js';
import { systemClock, type Clock } from '../../src/clock.js';
import { servedMethods, serverClosed } from './methods.js';
import type { ServedSubscription } from './subscription.js';
import { errorData, invalid, isChannelMethod, isObject, type ChannelRequest, type ChannelResponse } from './wire.js';

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
  let closed = false;

  const methods = servedMethods(adapter, options.clock ?? systemClock, { leases, subscriptions, closed: () => closed });

  const handler = async (request: unknown, context?: unknown): Promise<ChannelResponse> => {
    try {
      if (closed) throw serverClosed(adapter.name);
      if (!isObject(request) || typeof request['method'] !== 'string' || !isChannelMethod(request['method'])) {
        throw invalid('not a channel request (unknown method)');
      }
      if (!Array.isArray(request['args'])) throw invalid('request args must be an array');
      const checked = request as unknown as ChannelRequest;
      if (options.authorize && !(await options.authorize(checked, context))) {
        const key = typeof checked.args[0] === 'string' ? checked.args[0] : undefined;
        throw new CheckpointError('permission', { key, adapter: adapter.name, detail: `${checked.method} refused` });
      }
      return { ok: true, value: await methods[checked.method](checked.args) };
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
