import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import {
  CheckpointError,
  persistActor,
  type CheckpointAdapter,
  type CheckpointRecord,
  type GenerationNotice,
} from 'xstate-checkpoint';
import {
  channelAdapter,
  connectChannelAdapter,
  portHandle,
  portInvoke,
  serveAdapter,
  type ChannelInvoke,
} from 'xstate-checkpoint/adapters/channel';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'xstate-checkpoint/adapters/memory';
import { expectBytes, record, runAdapterConformance } from '../conformance/suite.js';
import { codeOf } from '../helpers/errors.js';
import { driveClock, manualClock } from '../helpers/manual-clock.js';

/** A channel over a Node MessageChannel to `served`; `close` tears both ends down. */
function overMessageChannel(served: CheckpointAdapter, options: Parameters<typeof serveAdapter>[2] = {}) {
  const { port1, port2 } = new MessageChannel();
  const server = serveAdapter(served, portHandle(port2), options);
  const invoke = portInvoke(port1);
  return {
    invoke,
    server,
    adapter: channelAdapter({ invoke, name: 'channel', capabilities: served.capabilities }),
    async close() {
      invoke.close();
      await server.close();
      await served.dispose();
      port1.close();
      port2.close();
    },
  };
}

describe('channel adapter over a MessageChannel (memory adapter served)', () => {
  let store: MemoryStore = createMemoryStore();
  const open: Array<() => Promise<void>> = [];
  const connect = () => {
    const channel = overMessageChannel(memoryAdapter({ store }));
    open.push(() => channel.close());
    return channel.adapter;
  };
  runAdapterConformance('channel (MessageChannel)', [channelAdapter], {
    create: () => {
      store = createMemoryStore();
      return connect();
    },
    createPeer: connect,
    cleanup: async () => {
      for (const close of open.splice(0)) await close();
    },
  });
});

const workerUrl = new URL('./channel-worker.ts', import.meta.url).href;

describe('channel adapter to a worker_threads Worker (fs adapter served in the worker)', () => {
  let worker: Worker;
  let dir = '';
  const ports: Array<{ invoke: { close(): void }; port: MessagePort }> = [];
  const waitFor = (type: string) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type?: string }) => {
        if (message.type !== type) return;
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });

  beforeAll(async () => {
    // The worker runs TypeScript through tsx, registered inside the worker.
    worker = new Worker(
      `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); })`,
      { eval: true },
    );
    await waitFor('ready');
  }, 60_000);
  afterAll(async () => {
    await worker?.terminate();
  });

  const connect = async () => {
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ type: 'serve', dir, port: port2 }, [port2]);
    const invoke = portInvoke(port1);
    ports.push({ invoke, port: port1 });
    return connectChannelAdapter({ invoke });
  };
  const drop = async () => {
    const dropped = waitFor('dropped');
    worker.postMessage({ type: 'drop', dir });
    await dropped;
    for (const { invoke, port } of ports.splice(0)) {
      invoke.close();
      port.close();
    }
  };

  runAdapterConformance('channel (Worker)', [connectChannelAdapter], {
    create: async () => {
      dir = await mkdtemp(join(tmpdir(), 'xsc-channel-worker-'));
      return connect();
    },
    createPeer: connect,
    cleanup: async () => {
      await drop();
      await rm(dir, { recursive: true, force: true });
    },
  });

  it('takes the served adapter name and capabilities (connectChannelAdapter)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'xsc-channel-worker-'));
    try {
      const adapter = await connect();
      expect(adapter.name).toBe('fs');
      expect(adapter.capabilities).toEqual({ durable: true, crossProcess: true, locks: true });
      expect(typeof adapter.acquire).toBe('function');
      await adapter.dispose();
    } finally {
      await drop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('persists an actor from the main thread into files written by the worker, with a lock, and restores it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'xsc-channel-worker-'));
    const machine = createMachine({
      id: 'counter',
      context: { count: 0 },
      on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
    });
    try {
      const first = await connect();
      const a = await persistActor(machine, { key: 'counter-1', adapter: first, lock: true, flushOnExit: false });
      for (let i = 0; i < 5; i++) a.actor.send({ type: 'INC' });
      const saved = await a.flush();
      expect(saved?.seq).toBeGreaterThan(0);
      await a.close();
      await first.dispose();

      const second = await connect();
      const b = await persistActor(machine, { key: 'counter-1', adapter: second, lock: true, flushOnExit: false });
      expect(b.restored.source).toBe('checkpoint');
      expect(b.actor.getSnapshot().context.count).toBe(5);
      await b.close();
      await second.dispose();
    } finally {
      await drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('channel adapter behaviour', () => {
  it('rebuilds errors as CheckpointErrors with code, key, generation and detail', async () => {
    const channel = overMessageChannel(memoryAdapter());
    try {
      await channel.adapter.write('k', record(1));
      const error = await channel.adapter.write('k', record(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error).toMatchObject({ code: 'conflict', key: 'k', seq: 1, adapter: 'channel' });
      expect((error as CheckpointError).detail).toContain('already exists');
      expect((error as CheckpointError).data).toEqual({ servedBy: 'memory' });
      expect((error as CheckpointError).message).toContain('[channel] key "k" generation 1: conflict');
    } finally {
      await channel.close();
    }
  });

  it('carries every byte value unchanged both ways', async () => {
    const channel = overMessageChannel(memoryAdapter());
    try {
      const bytes = Uint8Array.from({ length: 256 * 4 }, (_, i) => (i * 7) & 0xff);
      await channel.adapter.write('bytes', { seq: 1, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
      const back = await channel.adapter.read('bytes', 1);
      expect(back).toBeInstanceOf(Uint8Array);
      expectBytes(back, bytes);
    } finally {
      await channel.close();
    }
  });

  it('refuses what authorize refuses with permission, and passes the transport context', async () => {
    const contexts: unknown[] = [];
    const served = memoryAdapter();
    const server = serveAdapter(served, () => undefined, {
      authorize: (request, context) => {
        contexts.push(context);
        return typeof request.args[0] !== 'string' || request.args[0].startsWith('window-1/');
      },
    });
    const adapter = channelAdapter({ invoke: (request) => server.handler(request, { sender: 1 }) });
    await adapter.write('window-1/a', record(1));
    expect(await codeOf(adapter.write('window-2/a', record(1)))).toBe('permission');
    expect(await codeOf(adapter.read('window-2/a', 1))).toBe('permission');
    expect(contexts).toContainEqual({ sender: 1 });
    expect(await served.keys()).toEqual(['window-1/a']);
    await server.close();
  });

  it('answers malformed requests with invalid-option and never rejects', async () => {
    const served = memoryAdapter();
    const server = serveAdapter(served, () => undefined);
    const bad = [
      null,
      'list',
      { method: 'constructor', args: [] },
      { method: 'dispose', args: [] },
      { method: 'list' },
      { method: 'read', args: [1, 1] },
      { method: 'write', args: ['k', { seq: 1, epoch: 0, createdAt: 0, byteLength: 2, bytes: [1, 2] }] },
      { method: 'quarantine', args: ['k', '1', 'why'] },
    ];
    for (const request of bad) {
      const response = await server.handler(request);
      expect(response, JSON.stringify(request)).toMatchObject({ ok: false, error: { code: 'invalid-option' } });
    }
    expect(await served.keys()).toEqual([]);
    await server.close();
    expect(await server.handler({ method: 'keys', args: [] })).toMatchObject({ ok: false, error: { code: 'closed' } });
  });

  it('checks the key of every keyed method before the adapter runs, and takes none for the others', async () => {
    const served = memoryAdapter();
    const server = serveAdapter(served, () => undefined);
    const keyed = [
      'list',
      'readNewest',
      'read',
      'write',
      'remove',
      'quarantine',
      'listQuarantine',
      'readQuarantined',
      'deleteQuarantined',
      'acquire',
      'subscribe',
    ];
    for (const method of keyed) {
      expect(await server.handler({ method, args: [7, 1, 'why'] }), method).toMatchObject({
        ok: false,
        error: { code: 'invalid-option', detail: `${method}: the key must be a string` },
      });
    }
    // Without arguments listQuarantine lists every key's quarantine.
    expect(await server.handler({ method: 'listQuarantine', args: [] })).toEqual({ ok: true, value: [] });
    expect(await server.handler({ method: 'keys', args: [] })).toEqual({ ok: true, value: [] });
    expect(await server.handler({ method: 'describe', args: [] })).toMatchObject({
      ok: true,
      value: { name: 'memory' },
    });
    expect(await server.handler({ method: 'release', args: ['no-such-lease'] })).toEqual({
      ok: true,
      value: undefined,
    });
    await server.close();
  });

  it('rejects calls waiting on a closed port with connection', async () => {
    const { port1, port2 } = new MessageChannel();
    const invoke = portInvoke(port1);
    const adapter = channelAdapter({ invoke });
    const waiting = codeOf(adapter.list('k')); // nobody serves port2
    invoke.close();
    expect(await waiting).toBe('connection');
    expect(await codeOf(adapter.list('k'))).toBe('connection');
    port1.close();
    port2.close();
  });

  it('rejects with timeout when no answer comes in timeoutMs', async () => {
    const adapter = channelAdapter({ invoke: () => new Promise(() => undefined), timeoutMs: 20 });
    expect(await codeOf(adapter.keys())).toBe('timeout');
  });

  it('reports a transport failure or a malformed answer as connection', async () => {
    const failing: ChannelInvoke = () => Promise.reject(new Error('Error invoking remote method'));
    expect(await codeOf(channelAdapter({ invoke: failing }).keys())).toBe('connection');
    expect(await codeOf(channelAdapter({ invoke: async () => 'nonsense' }).keys())).toBe('connection');
    expect(await codeOf(connectChannelAdapter({ invoke: async () => ({ ok: true, value: {} }) }))).toBe('connection');
  });

  it('declares no capabilities unless told, and then has no acquire', () => {
    const adapter = channelAdapter({ invoke: async () => ({ ok: true, value: undefined }) });
    expect(adapter.capabilities).toEqual({ durable: false, crossProcess: false, locks: false });
    expect(adapter.acquire).toBeUndefined();
  });

  it('releases leases through the channel: on dispose of the client, and on close of the server', async () => {
    const store = createMemoryStore();
    const a = overMessageChannel(memoryAdapter({ store }));
    const b = overMessageChannel(memoryAdapter({ store }));
    try {
      const lease = await a.adapter.acquire!('k');
      expect(await codeOf(b.adapter.acquire!('k'))).toBe('lock-held');
      await a.adapter.dispose(); // the client's leases go with it
      const next = await b.adapter.acquire!('k');
      expect(next.epoch).toBeGreaterThan(lease.epoch);
      await b.server.close(); // the server releases what it handed out
      const c = overMessageChannel(memoryAdapter({ store }));
      const third = await c.adapter.acquire!('k');
      expect(third.epoch).toBeGreaterThan(next.epoch);
      await c.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  /** An acquire through a channel to `served` that `overtake` interrupts rejects with closed; another client then takes the key. */
  async function expectOvertaken(
    served: CheckpointAdapter,
    store: MemoryStore,
    overtake: (a: ReturnType<typeof overMessageChannel>) => Promise<void>,
  ) {
    const a = overMessageChannel(served);
    const b = overMessageChannel(memoryAdapter({ store }));
    try {
      const acquiring = codeOf(a.adapter.acquire!('k'));
      await overtake(a);
      expect(await acquiring).toBe('closed');
      expect((await b.adapter.acquire!('k')).epoch).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  }

  it('an acquire that dispose overtakes (granted while the client disposes) rejects with closed and gives the lease back', async () => {
    const store = createMemoryStore();
    // The request is on its way: the client is disposed before the grant comes back.
    await expectOvertaken(memoryAdapter({ store }), store, (a) => a.adapter.dispose());
  });

  it('a lease the served adapter grants after the server closed is given back, not handed out', async () => {
    const store = createMemoryStore();
    const inner = memoryAdapter({ store });
    let granted: () => void = () => undefined;
    const slow: CheckpointAdapter = {
      ...inner,
      // The served lock is taken only once the server is closing (a lock that waits for its holder).
      acquire: async (key, options) => {
        await new Promise<void>((resolve) => (granted = resolve));
        return inner.acquire!(key, options);
      },
    };
    await expectOvertaken(slow, store, async (a) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const closing = a.server.close();
      granted();
      await closing;
    });
  });

  it('forwards subscribe: notices of the served adapter reach the client, merged, and stop on unsubscribe and dispose', async () => {
    const served = withNotices(memoryAdapter());
    const { port1, port2 } = new MessageChannel();
    const server = serveAdapter(served, portHandle(port2));
    const invoke = portInvoke(port1);
    try {
      const client = await connectChannelAdapter({ invoke });
      expect(typeof client.subscribe).toBe('function');
      const seen: GenerationNotice[] = [];
      const stop = client.subscribe!('k', (notice) => seen.push(notice));
      await expect.poll(() => served.listeners()).toBe(1);
      await served.write('k', record(1));
      await expect.poll(() => seen.map((n) => n.seq)).toEqual([1]);
      expect(seen[0]).toEqual({ key: 'k', seq: 1, epoch: 0 });
      await served.write('other', record(1));
      await served.write('k', record(2, 4));
      await expect.poll(() => seen.at(-1)).toEqual({ key: 'k', seq: 2, epoch: 4 });
      stop();
      await expect.poll(() => served.listeners()).toBe(0);
      const count = seen.length;
      await served.write('k', record(3, 4));
      await new Promise((r) => setTimeout(r, 50));
      expect(seen.length).toBe(count);
      // Dispose ends the client's subscriptions, and with them the server's.
      client.subscribe!('k', () => undefined);
      await expect.poll(() => served.listeners()).toBe(1);
      await client.dispose();
      await expect.poll(() => served.listeners()).toBe(0);
    } finally {
      invoke.close();
      await server.close();
      port1.close();
      port2.close();
    }
  });

  it('offers no subscribe when the served adapter has none, and server close ends its subscriptions', async () => {
    const plain = overMessageChannel(memoryAdapter());
    const served = withNotices(memoryAdapter());
    const noticed = overMessageChannel(served);
    try {
      const { invoke } = plain;
      expect((await connectChannelAdapter({ invoke })).subscribe).toBeUndefined();
      const client = await connectChannelAdapter({ invoke: noticed.invoke });
      client.subscribe!('k', () => undefined);
      await expect.poll(() => served.listeners()).toBe(1);
      await noticed.server.close();
      expect(served.listeners()).toBe(0);
      await client.dispose();
    } finally {
      await plain.close();
      await noticed.close();
    }
  });
});

/** A memory adapter whose writes announce themselves to `subscribe` listeners (as the server adapters do). */
function withNotices(adapter: CheckpointAdapter) {
  const listeners = new Set<{ key: string; fn: (notice: GenerationNotice) => void }>();
  return {
    ...adapter,
    async write(key: string, rec: CheckpointRecord) {
      await adapter.write(key, rec);
      for (const l of [...listeners]) if (l.key === key) l.fn({ key, seq: rec.seq, epoch: rec.epoch });
    },
    subscribe(key: string, fn: (notice: GenerationNotice) => void) {
      const entry = { key, fn };
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    listeners: () => listeners.size,
  };
}

describe('channel on the `clock` option', () => {
  it('times timeoutMs on the client clock and the notices long poll on the server clock', async () => {
    const clientClock = manualClock();
    const silent = channelAdapter({
      invoke: () => new Promise(() => undefined),
      timeoutMs: 30_000,
      clock: clientClock,
    });
    const timedOut = await driveClock(clientClock, silent.keys());
    expect(timedOut.outcome.status === 'rejected' && (timedOut.outcome.reason as CheckpointError).code).toBe('timeout');
    expect(timedOut.fired).toBe(1);

    const serverClock = manualClock();
    const server = serveAdapter(
      { ...memoryAdapter(), subscribe: () => () => undefined }, // a store with notices that never come
      () => undefined,
      { clock: serverClock },
    );
    const granted = (await server.handler({ method: 'subscribe', args: ['k'] })) as { ok: true; value: { id: string } };
    const waited = await driveClock(
      serverClock,
      server.handler({ method: 'notices', args: [granted.value.id, 60_000] }),
    );
    // No notice came: the call answers null when the server clock says 60 s passed.
    expect(waited.outcome).toEqual({ status: 'fulfilled', value: { ok: true, value: null } });
    expect(waited.fired).toBe(1);
    await server.close();
  });
});
