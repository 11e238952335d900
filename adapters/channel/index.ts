import type {
  AcquireOptions,
  AdapterCapabilities,
  CheckpointAdapter,
  CheckpointRecord,
  GenerationNotice,
  Lease,
  NewestRead,
} from '../../src/adapter.js';
import { CheckpointError, isCheckpointError, toCheckpointError, type CheckpointErrorCode } from '../../src/errors.js';
import { readNewestOf } from '../../src/restore.js';
import { backoffDelay } from '../shared/backoff.js';

/**
 * The adapter methods a channel carries, plus `release` (of a lease), `describe`
 * (name and capabilities), and `subscribe` / `notices` / `unsubscribe` (a
 * subscription, its notices as a long poll, and its end).
 */
export type ChannelMethod =
  | 'describe'
  | 'list'
  | 'readNewest'
  | 'read'
  | 'write'
  | 'remove'
  | 'keys'
  | 'quarantine'
  | 'listQuarantine'
  | 'readQuarantined'
  | 'deleteQuarantined'
  | 'acquire'
  | 'release'
  | 'subscribe'
  | 'notices'
  | 'unsubscribe';

/** One call over the channel: plain data that survives structured clone (Uint8Array bytes included). */
export interface ChannelRequest {
  readonly method: ChannelMethod;
  readonly args: readonly unknown[];
}

/** A failure as it crosses the channel: the fields of a {@link CheckpointError}. */
export interface ChannelError {
  readonly code: CheckpointErrorCode;
  readonly key?: string | undefined;
  readonly adapter?: string | undefined;
  readonly seq?: number | undefined;
  readonly fromVersion?: number | undefined;
  readonly toVersion?: number | undefined;
  readonly path?: string[] | undefined;
  readonly detail?: string | undefined;
  readonly data?: Record<string, unknown> | undefined;
}

/** The answer to a {@link ChannelRequest}. Errors are data, so no transport has to carry exceptions. */
export type ChannelResponse =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ChannelError };

/** Sends a request to the side that serves the adapter and resolves with its {@link ChannelResponse}. */
export type ChannelInvoke = (request: ChannelRequest) => Promise<unknown>;

/** What the serving side runs for each request (never rejects). */
export type ChannelHandler = (request: unknown) => Promise<ChannelResponse>;

/** Name and capabilities of a served adapter, as `describe` returns them. */
export interface ChannelDescription {
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  /** The served adapter has `subscribe` (absent from servers older than this field: no). */
  readonly subscribe?: boolean;
}

/** Options of {@link channelAdapter}. */
export interface ChannelAdapterOptions {
  /** Carries one request to {@link serveAdapter}'s handler and back (`ipcRenderer.invoke`, {@link portInvoke}, ...). */
  readonly invoke: ChannelInvoke;
  /** Name in errors and events. @default 'channel' */
  readonly name?: string;
  /**
   * What the served adapter promises. Not known without asking it: use
   * {@link connectChannelAdapter} to take the served adapter's own.
   * @default { durable: false, crossProcess: false, locks: false }
   */
  readonly capabilities?: AdapterCapabilities;
  /** Reject a call with `timeout` when no answer came in this many ms. @default no limit */
  readonly timeoutMs?: number;
  /**
   * The served adapter has `subscribe`: offer it here, its notices carried by a
   * long poll (one `notices` call waiting on the server at a time per
   * subscription). {@link connectChannelAdapter} sets it from the server's answer.
   * @default false
   */
  readonly notices?: boolean;
}

const methods: ReadonlySet<string> = new Set<ChannelMethod>([
  'describe',
  'list',
  'readNewest',
  'read',
  'write',
  'remove',
  'keys',
  'quarantine',
  'listQuarantine',
  'readQuarantined',
  'deleteQuarantined',
  'acquire',
  'release',
  'subscribe',
  'notices',
  'unsubscribe',
]);

// How long one `notices` call waits on the server before answering "nothing yet". Kept under
// `timeoutMs` so a quiet key does not read as a dead channel.
const NOTICE_WAIT_MS = 25_000;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * The client side of a channel: a {@link CheckpointAdapter} whose every call
 * becomes `invoke({ method, args })`, answered by {@link serveAdapter} in
 * another context (Electron's main process, a worker, another window).
 * Bytes cross as `Uint8Array` (structured clone), unchanged. Errors come
 * back as data and are rebuilt as {@link CheckpointError}s with the same
 * code, key, generation and detail. Leases stay in the serving process;
 * the client holds their epoch and releases them through the channel.
 * `dispose()` releases this client's leases; it never disposes the served
 * adapter, which may serve other clients.
 *
 * @example
 * ```ts
 * import { channelAdapter, type ChannelInvoke } from 'xstate-checkpoint/adapters/channel';
 * declare const invoke: ChannelInvoke; // e.g. (request) => ipcRenderer.invoke('checkpoints', request)
 * const adapter = channelAdapter({ invoke, capabilities: { durable: true, crossProcess: true, locks: true } });
 * ```
 */
export function channelAdapter(options: ChannelAdapterOptions): CheckpointAdapter {
  if (typeof options?.invoke !== 'function') {
    throw new CheckpointError('invalid-option', { adapter: 'channel', detail: '`invoke` must be a function' });
  }
  const name = options.name ?? 'channel';
  const capabilities = options.capabilities ?? { durable: false, crossProcess: false, locks: false };
  const leases = new Map<string, Lease>();
  const subscriptions = new Set<() => void>();
  let disposed = false;

  const call = async (method: ChannelMethod, args: unknown[], key?: string): Promise<unknown> => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: name });
    return send(options, name, method, args, key);
  };

  const adapter: CheckpointAdapter = {
    name,
    capabilities,
    list: async (key) => (await call('list', [key], key)) as Awaited<ReturnType<CheckpointAdapter['list']>>,
    // One round trip for a restore instead of a listing, a quarantine listing and a read.
    readNewest: async (key) => {
      const found = (await call('readNewest', [key], key)) as NewestRead;
      const newest = found.newest && { seq: found.newest.seq, bytes: bytesOrUndefined(found.newest.bytes, name, key)! };
      return { seqs: found.seqs, quarantinedSeq: found.quarantinedSeq, epoch: found.epoch, newest };
    },
    read: async (key, seq) => bytesOrUndefined(await call('read', [key, seq], key), name, key),
    write: async (key, record: CheckpointRecord) => {
      await call('write', [key, plainRecord(record)], key);
    },
    remove: async (key, seq) => {
      await call('remove', [key, seq], key);
    },
    keys: async () => (await call('keys', [])) as string[],
    quarantine: async (key, seq, reason) =>
      (await call('quarantine', [key, seq, reason], key)) as Awaited<ReturnType<CheckpointAdapter['quarantine']>>,
    listQuarantine: async (key) =>
      (await call('listQuarantine', key === undefined ? [] : [key], key)) as Awaited<
        ReturnType<CheckpointAdapter['listQuarantine']>
      >,
    readQuarantined: async (key, id) => bytesOrUndefined(await call('readQuarantined', [key, id], key), name, key),
    deleteQuarantined: async (key, id) => {
      await call('deleteQuarantined', [key, id], key);
    },
    async dispose() {
      if (disposed) return;
      for (const stop of [...subscriptions]) stop();
      const held = [...leases.values()];
      await Promise.all(held.map((lease) => lease.release().catch(() => undefined)));
      disposed = true;
    },
  };
  if (options.notices === true) {
    const waitMs = Math.max(1, Math.min(NOTICE_WAIT_MS, (options.timeoutMs ?? Infinity) / 2));
    adapter.subscribe = (key, listener) => subscribeOver(call, key, listener, waitMs, subscriptions);
  }
  if (capabilities.locks) {
    adapter.acquire = async (key: string, acquireOptions?: AcquireOptions): Promise<Lease> => {
      const granted = await call('acquire', acquireOptions === undefined ? [key] : [key, acquireOptions], key);
      if (!isObject(granted) || typeof granted['id'] !== 'string' || typeof granted['epoch'] !== 'number') {
        throw new CheckpointError('connection', { key, adapter: name, detail: 'malformed lease' });
      }
      const id = granted['id'];
      let released: Promise<void> | undefined;
      const lease: Lease = {
        epoch: granted['epoch'],
        release() {
          released ??= (async () => {
            leases.delete(id);
            await call('release', [id], key);
          })();
          return released;
        },
      };
      leases.set(id, lease);
      return lease;
    };
  }
  return adapter;
}

/** Options of {@link connectChannelAdapter}. */
export type ConnectChannelOptions = Omit<ChannelAdapterOptions, 'capabilities'>;

/**
 * Asks the served adapter for its name and capabilities, then returns a
 * {@link channelAdapter} that declares them (so `lock: true` works when the
 * served adapter has locks).
 *
 * @example
 * ```ts
 * import { connectChannelAdapter, type ChannelInvoke } from 'xstate-checkpoint/adapters/channel';
 * declare const invoke: ChannelInvoke;
 * const adapter = await connectChannelAdapter({ invoke });
 * adapter.capabilities.durable; // what the served adapter declares
 * ```
 */
export async function connectChannelAdapter(options: ConnectChannelOptions): Promise<CheckpointAdapter> {
  const described = await send(options, options.name ?? 'channel', 'describe', []);
  if (
    !isObject(described) ||
    typeof described['name'] !== 'string' ||
    !isObject(described['capabilities']) ||
    typeof described['capabilities']['locks'] !== 'boolean'
  ) {
    throw new CheckpointError('connection', {
      adapter: options.name ?? 'channel',
      detail: 'malformed describe answer',
    });
  }
  const { name, capabilities } = described as unknown as ChannelDescription;
  const notices = described['subscribe'] === true;
  return channelAdapter({ ...options, name: options.name ?? name, capabilities, notices });
}

/**
 * The client side of one subscription: `subscribe` on the server, then `notices`
 * calls one after another (each waits up to `waitMs` for the next notice), each
 * notice handed to `listener`. A failed call (the server restarted, the channel
 * dropped) subscribes again after a backoff; the follower's resync poll covers
 * what was missed meanwhile. Stopping unsubscribes at once, which also answers
 * the `notices` call waiting on the server, so nothing is left pending.
 */
function subscribeOver(
  call: (method: ChannelMethod, args: unknown[], key?: string) => Promise<unknown>,
  key: string,
  listener: (notice: GenerationNotice) => void,
  waitMs: number,
  subscriptions: Set<() => void>,
): () => void {
  let active = true;
  let id: string | undefined;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      // Unref'd: a subscription alone must not keep a process alive.
      const timer = setTimeout(resolve, ms) as { unref?: () => void };
      timer.unref?.();
      wake = resolve;
    });
  const stop = () => {
    if (!active) return;
    active = false;
    subscriptions.delete(stop);
    wake?.();
    if (id !== undefined) void call('unsubscribe', [id], key).catch(() => undefined);
  };
  subscriptions.add(stop);
  void (async () => {
    for (let failures = 0; active;) {
      try {
        if (id === undefined) {
          const granted = await call('subscribe', [key], key);
          if (!isObject(granted) || typeof granted['id'] !== 'string') throw new CheckpointError('connection', { key });
          id = granted['id'];
          // Stopped while subscribing: the stop could not name the subscription yet.
          if (!active) void call('unsubscribe', [id], key).catch(() => undefined);
          continue;
        }
        const notice = await call('notices', [id, waitMs], key);
        failures = 0;
        if (active && isNotice(notice, key)) deliver(listener, notice);
      } catch (error) {
        // The served adapter has no subscribe after all: polling is all there is.
        if (isCheckpointError(error) && error.code === 'invalid-option') break;
        id = undefined;
        await pause(backoffDelay(failures++, { minMs: 100, maxMs: 5000 }));
      }
    }
  })();
  return stop;
}

function isNotice(value: unknown, key: string): value is GenerationNotice {
  return (
    isObject(value) &&
    value['key'] === key &&
    Number.isSafeInteger(value['seq']) &&
    (value['seq'] as number) > 0 &&
    Number.isSafeInteger(value['epoch']) &&
    (value['epoch'] as number) >= 0
  );
}

function deliver(listener: (notice: GenerationNotice) => void, notice: GenerationNotice): void {
  try {
    listener({ key: notice.key, seq: notice.seq, epoch: notice.epoch });
  } catch (error) {
    // A listener's bug must not end the subscription loop.
    setTimeout(() => {
      throw error;
    }, 0);
  }
}

/** One request, its answer unwrapped: the value, or the error rebuilt. */
async function send(
  options: Pick<ChannelAdapterOptions, 'invoke' | 'timeoutMs'>,
  name: string,
  method: ChannelMethod,
  args: unknown[],
  key?: string,
): Promise<unknown> {
  let response: unknown;
  try {
    response = await withTimeout(options.invoke({ method, args }), options.timeoutMs, method);
  } catch (error) {
    throw isCheckpointError(error)
      ? toCheckpointError(error, 'connection', { key, adapter: name })
      : new CheckpointError('connection', {
          key,
          adapter: name,
          cause: error,
          detail: `channel call ${method} failed`,
        });
  }
  if (!isObject(response) || typeof response['ok'] !== 'boolean') {
    throw new CheckpointError('connection', { key, adapter: name, detail: `malformed answer to ${method}` });
  }
  if (response['ok']) return response['value'];
  throw rebuildError(response['error'], name, key);
}

/** Options of {@link serveAdapter}. */
export interface ServeAdapterOptions {
  /**
   * Decides whether a request may run (for example, keys of one window only).
   * Refused requests fail with `permission`. Receives whatever context the
   * transport passed to the handler (Electron's `IpcMainInvokeEvent`, ...).
   * @default every request runs
   */
  readonly authorize?: (request: ChannelRequest, context: unknown) => boolean | Promise<boolean>;
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
        subscriptions.set(id, servedSubscription(adapter.subscribe.bind(adapter), k));
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
      if (!isObject(request) || typeof request['method'] !== 'string' || !methods.has(request['method'])) {
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

function servedSubscription(subscribe: NonNullable<CheckpointAdapter['subscribe']>, key: string): ServedSubscription {
  // Notices between two calls merge into the newest: a follower only needs to know it is behind.
  let pending: GenerationNotice | undefined;
  let waiting: ((notice: GenerationNotice | null) => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = (notice: GenerationNotice | null) => {
    const resolve = waiting;
    waiting = undefined;
    if (timer !== undefined) clearTimeout(timer);
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
        timer = setTimeout(() => answer(null), waitMs);
        // The served process's life is its own business, not a waiting client's.
        (timer as { unref?: () => void }).unref?.();
      });
    },
    stop() {
      unsubscribe();
      answer(null);
    },
  };
}

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

function withTimeout<T>(promise: Promise<T>, ms: number | undefined, method: string): Promise<T> {
  if (ms === undefined) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CheckpointError('timeout', { detail: `no answer to ${method} within ${ms} ms` }));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function invalid(detail: string, key?: string): CheckpointError {
  return new CheckpointError('invalid-option', { key, detail });
}

function number(value: unknown, what: string): number {
  if (typeof value !== 'number') throw invalid(`${what} must be a number`);
  return value;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  return value;
}

function acquireOptionsOf(raw: Record<string, unknown>): AcquireOptions {
  const out: { ttlMs?: number; waitMs?: number } = {};
  if (raw['ttlMs'] !== undefined) out.ttlMs = number(raw['ttlMs'], 'ttlMs');
  if (raw['waitMs'] !== undefined) out.waitMs = number(raw['waitMs'], 'waitMs');
  return out;
}

function checkRecord(raw: unknown): CheckpointRecord {
  if (!isObject(raw) || !(raw['bytes'] instanceof Uint8Array)) throw invalid('record.bytes must be a Uint8Array');
  return {
    seq: number(raw['seq'], 'record.seq'),
    epoch: number(raw['epoch'], 'record.epoch'),
    createdAt: number(raw['createdAt'], 'record.createdAt'),
    byteLength: number(raw['byteLength'], 'record.byteLength'),
    bytes: raw['bytes'],
  };
}

/** Only the record's own fields cross, whatever else the caller's object carries. */
function plainRecord(record: CheckpointRecord): CheckpointRecord {
  return {
    seq: record.seq,
    epoch: record.epoch,
    createdAt: record.createdAt,
    byteLength: record.byteLength,
    bytes: record.bytes,
  };
}

function bytesOrUndefined(value: unknown, adapter: string, key: string): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array) return value;
  // A transport that turned the bytes into a plain array or Buffer-like object.
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  throw new CheckpointError('connection', { key, adapter, detail: 'the answer carried no bytes' });
}

function cloneable(data: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (data === undefined) return undefined;
  try {
    return structuredClone(data);
  } catch {
    // Data that cannot cross (functions, handles) is dropped; the code and detail still do.
    return undefined;
  }
}

function errorData(error: CheckpointError): ChannelError {
  const cause = error.cause;
  return {
    code: error.code,
    key: error.key,
    adapter: error.adapter,
    seq: error.seq,
    fromVersion: error.fromVersion,
    toVersion: error.toVersion,
    path: error.path?.map(String),
    detail: error.detail ?? (cause instanceof Error ? cause.message : undefined),
    data: cloneable(error.data),
  };
}

function rebuildError(raw: unknown, adapter: string, key: string | undefined): CheckpointError {
  if (!isObject(raw) || typeof raw['code'] !== 'string') {
    return new CheckpointError('connection', { key, adapter, detail: 'malformed error answer' });
  }
  const e = raw as unknown as ChannelError;
  const served = e.adapter !== undefined && e.adapter !== adapter ? { servedBy: e.adapter } : {};
  return new CheckpointError(e.code, {
    key: e.key ?? key,
    adapter,
    seq: e.seq,
    fromVersion: e.fromVersion,
    toVersion: e.toVersion,
    path: e.path,
    detail: e.detail,
    data: e.data === undefined && !('servedBy' in served) ? undefined : { ...e.data, ...served },
  });
}
