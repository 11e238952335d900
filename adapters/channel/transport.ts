import { CheckpointError } from '../../src/errors.js';
import { isObject, type ChannelInvoke, type ChannelRequest, type ChannelResponse } from './wire.js';

/**
 * A `postMessage` endpoint: a `MessagePort` (browser or Node), a browser
 * `Worker`, a worker's `self`, Node's `worker_threads` `Worker` or `parentPort`.
 */
export type MessageEndpoint =
  | {
      postMessage(message: unknown): void;
      addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
      removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
      start?(): void;
    }
  | {
      postMessage(message: unknown): void;
      on(type: 'message', listener: (data: unknown) => void): unknown;
      off(type: 'message', listener: (data: unknown) => void): unknown;
    };

const TAG = '@xstate-checkpoint/channel';

function listen(endpoint: MessageEndpoint, onMessage: (data: unknown) => void): () => void {
  if ('addEventListener' in endpoint && typeof endpoint.addEventListener === 'function') {
    const listener = (event: { data: unknown }) => onMessage(event.data);
    endpoint.addEventListener('message', listener);
    endpoint.start?.();
    return () => endpoint.removeEventListener('message', listener);
  }
  const emitter = endpoint as Extract<MessageEndpoint, { on: unknown }>;
  emitter.on('message', onMessage);
  return () => emitter.off('message', onMessage);
}

/** An {@link ChannelInvoke} over a message endpoint, plus a way to stop listening. */
export interface PortInvoke extends ChannelInvoke {
  /** Stops listening and rejects calls still waiting with `connection`. */
  close(): void;
}

/**
 * Turns a `postMessage` endpoint into a {@link ChannelInvoke}: requests carry
 * an id, answers are matched to them, other messages on the endpoint are
 * ignored. Pair it with {@link portHandle} on the other end.
 *
 * @example
 * ```ts
 * import { channelAdapter, portInvoke } from 'xstate-checkpoint/adapters/channel';
 * const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { type: 'module' });
 * const adapter = channelAdapter({ invoke: portInvoke(worker) });
 * ```
 */
export function portInvoke(endpoint: MessageEndpoint): PortInvoke {
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  let nextId = 0;
  let closed = false;
  const stop = listen(endpoint, (data) => {
    if (!isObject(data) || data['tag'] !== TAG || !('response' in data)) return;
    const waiter = pending.get(data['id'] as number);
    if (!waiter) return;
    pending.delete(data['id'] as number);
    waiter.resolve(data['response']);
  });
  const invoke = ((request: ChannelRequest) =>
    new Promise<unknown>((resolve, reject) => {
      if (closed) {
        reject(new CheckpointError('connection', { detail: 'the message port was closed' }));
        return;
      }
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      try {
        endpoint.postMessage({ tag: TAG, id, request });
      } catch (error) {
        pending.delete(id);
        // Typically a DataCloneError: something in the request cannot be cloned.
        reject(new CheckpointError('connection', { cause: error, detail: 'the request could not be posted' }));
      }
    })) as PortInvoke;
  invoke.close = () => {
    if (closed) return;
    closed = true;
    stop();
    for (const waiter of pending.values()) {
      waiter.reject(new CheckpointError('connection', { detail: 'the message port was closed' }));
    }
    pending.clear();
  };
  return invoke;
}

/**
 * The `handle` argument of {@link serveAdapter} for a `postMessage` endpoint:
 * answers each request from {@link portInvoke} on the same endpoint.
 *
 * @example
 * ```ts
 * import { parentPort } from 'node:worker_threads';
 * import { portHandle, serveAdapter } from 'xstate-checkpoint/adapters/channel';
 * import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
 * serveAdapter(fileAdapter({ dir: './.checkpoints' }), portHandle(parentPort!));
 * ```
 */
export function portHandle(
  endpoint: MessageEndpoint,
): (handler: (request: unknown, context?: unknown) => Promise<ChannelResponse>) => () => void {
  return (handler) =>
    listen(endpoint, (data) => {
      if (!isObject(data) || data['tag'] !== TAG || !('request' in data)) return;
      const id = data['id'];
      void handler(data['request'], endpoint).then((response) => {
        endpoint.postMessage({ tag: TAG, id, response });
      });
    });
}
