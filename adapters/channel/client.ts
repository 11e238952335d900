import type {
  AcquireOptions,
  AdapterCapabilities,
  CheckpointAdapter,
  CheckpointRecord,
  GenerationNotice,
  Lease,
  NewestRead,
} from '../../src/adapter.js';
import { CheckpointError, isCheckpointError, toCheckpointError } from '../../src/errors.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { backoffDelay } from '../shared/backoff.js';
import { unrefTimer } from '../shared/clock.js';
import {
  NOTICE_WAIT_MS,
  bytesOrUndefined,
  isObject,
  plainRecord,
  rebuildError,
  type ChannelDescription,
  type ChannelInvoke,
  type ChannelMethod,
} from './wire.js';

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
  /** Time for `timeoutMs` and the pause before a dropped subscription subscribes again. @default systemClock */
  readonly clock?: Clock;
}

/**
 * The client side of a channel: a {@link CheckpointAdapter} whose every call
 * becomes `invoke({ method, args })`, answered by {@link serveAdapter} in
 * another context (Electron's main process, a worker, another window).
 * Bytes cross as `Uint8Array` (structured clone), unchanged. Errors come
 * back as data and are rebuilt as {@link CheckpointError}s with the same
 * code, key, generation and detail. Leases stay in the serving process;
 * the client holds their epoch and releases them through the channel.
 * `dispose()` releases this client's leases (an `acquire` it overtakes gives
 * its lease back and rejects with `closed`); it never disposes the served
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
  // From the start of dispose(): a lease granted after it began is given back, not kept.
  let disposing = false;

  const call: Call = async (method, args, key) => {
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
      disposing = true;
      for (const stop of [...subscriptions]) stop();
      const held = [...leases.values()];
      await Promise.all(held.map((lease) => lease.release().catch(() => undefined)));
      disposed = true;
    },
  };
  if (options.notices === true) {
    const waitMs = Math.max(1, Math.min(NOTICE_WAIT_MS, (options.timeoutMs ?? Infinity) / 2));
    adapter.subscribe = (key, listener) =>
      subscribeOver(call, key, listener, waitMs, subscriptions, options.clock ?? systemClock);
  }
  if (capabilities.locks) adapter.acquire = acquireOver(options, name, call, leases, () => disposing);
  return adapter;
}

type Call = (method: ChannelMethod, args: unknown[], key?: string) => Promise<unknown>;

/**
 * The client's `acquire`: the lease stays in the serving process, the client
 * keeps its id and epoch in `leases` and releases it through the channel. A
 * lease granted once `disposing()` is true is given back at once (`closed`).
 */
function acquireOver(
  options: ChannelAdapterOptions,
  name: string,
  call: Call,
  leases: Map<string, Lease>,
  disposing: () => boolean,
): NonNullable<CheckpointAdapter['acquire']> {
  return async (key: string, acquireOptions?: AcquireOptions): Promise<Lease> => {
    const granted = await call('acquire', acquireOptions === undefined ? [key] : [key, acquireOptions], key);
    if (!isObject(granted) || typeof granted['id'] !== 'string' || typeof granted['epoch'] !== 'number') {
      throw new CheckpointError('connection', { key, adapter: name, detail: 'malformed lease' });
    }
    const id = granted['id'];
    if (disposing()) {
      // dispose() released only the leases it saw; this one would stay held in the serving process.
      await send(options, name, 'release', [id], key).catch(() => undefined);
      throw new CheckpointError('closed', { key, adapter: name });
    }
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
  clock: Clock,
): () => void {
  let active = true;
  let id: string | undefined;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      // Unref'd: a subscription alone must not keep a process alive.
      unrefTimer(clock.setTimeout(resolve, ms));
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
  options: Pick<ChannelAdapterOptions, 'invoke' | 'timeoutMs' | 'clock'>,
  name: string,
  method: ChannelMethod,
  args: unknown[],
  key?: string,
): Promise<unknown> {
  let response: unknown;
  try {
    response = await withTimeout(
      options.invoke({ method, args }),
      options.timeoutMs,
      method,
      options.clock ?? systemClock,
    );
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

function withTimeout<T>(promise: Promise<T>, ms: number | undefined, method: string, clock: Clock): Promise<T> {
  if (ms === undefined) return promise;
  let timer: TimerHandle;
  const late = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      reject(new CheckpointError('timeout', { detail: `no answer to ${method} within ${ms} ms` }));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => clock.clearTimeout(timer));
}
