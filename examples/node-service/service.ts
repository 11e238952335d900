import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isCheckpointError, persistActor } from 'xstate-checkpoint';
import type { CheckpointAdapter, CheckpointEvent, PersistedActor } from 'xstate-checkpoint';
import { orderMachine } from './order-machine.js';
import type { OrderEvent } from './order-machine.js';

export interface OrderServiceOptions {
  /** Where order checkpoints live. */
  readonly adapter: CheckpointAdapter;
  /** This instance's name, recorded with every webhook it applies. */
  readonly instance: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Lease lifetime: how long a crashed instance keeps its orders. @default 5000 */
  readonly leaseTtlMs?: number;
  /** How long a request waits for an order another instance holds. @default 2 * leaseTtlMs */
  readonly lockWaitMs?: number;
  /** Where the cause of every 5xx answer goes (one line each). @default console.error */
  readonly log?: (line: string) => void;
  /** Checkpoint events of every order, e.g. `checkpointMetrics()` of `xstate-checkpoint/otel`. */
  readonly onEvent?: (event: CheckpointEvent) => void;
  /** Answers `GET /metrics` (see `metrics.ts`). */
  readonly metrics?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface OrderService {
  readonly url: string;
  /** Flushes and closes every order, then stops listening. */
  close(): Promise<void>;
}

type Order = PersistedActor<typeof orderMachine>;
const EVENTS = new Set(['PAY', 'SHIP', 'DELIVER']);

/**
 * An HTTP service where each order is a persisted actor:
 * - `POST /orders/:id/webhooks` with `{ "type": "PAY" | "SHIP" | "DELIVER", "webhookId": "..." }`
 *   answers 200 only after the order's checkpoint holding the event is durable
 *   (`flush()`), so a sender that got 200 never has to redeliver; anything
 *   else (503, 409, a dropped connection) means "deliver again".
 * - `GET /orders/:id` returns the order's state (404 for an order never stored).
 * Every 5xx answer is logged with its cause (`log`).
 * With an adapter that has locks, one instance owns an order at a time; another
 * instance takes it over once the owner's lease expires (e.g. after a crash).
 */
export async function startOrderService(options: OrderServiceOptions): Promise<OrderService> {
  const { adapter, instance } = options;
  const ttlMs = options.leaseTtlMs ?? 5000;
  const waitMs = options.lockWaitMs ?? 2 * ttlMs;
  const orders = new Map<string, Promise<Order>>();
  const log = options.log ?? ((line: string) => console.error(line));
  const keyOf = (orderId: string) => `order:${orderId}`;
  /** Answers 5xx and logs why: the answer only carries the code, the operator needs the cause. */
  const fail = (res: ServerResponse, req: IncomingMessage, status: number, error: unknown) => {
    log(`[${instance}] ${status} ${req.method ?? '?'} ${req.url ?? '?'}: ${causeText(error)}`);
    send(res, status, { error: isCheckpointError(error) ? error.code : 'internal' });
  };

  const open = (orderId: string): Promise<Order> => {
    let order = orders.get(orderId);
    if (!order) {
      order = persistActor(orderMachine, {
        key: keyOf(orderId),
        adapter,
        input: { orderId },
        lock: adapter.capabilities.locks ? { ttlMs, waitMs } : false,
        // The service flushes and closes every order itself on shutdown.
        flushOnExit: false,
        debounce: { wait: 20, maxWait: 200 },
        onError: () => undefined,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      });
      orders.set(orderId, order);
      order.catch(() => orders.delete(orderId));
    }
    return order;
  };

  const drop = async (orderId: string) => {
    const order = orders.get(orderId);
    orders.delete(orderId);
    await order?.then((o) => o.close()).catch(() => undefined);
  };

  const view = (order: Order) => {
    const snapshot = order.actor.getSnapshot();
    return { orderId: snapshot.context.orderId, state: snapshot.value, applied: snapshot.context.applied, instance };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/orders\/([\w-]{1,100})(\/webhooks)?$/.exec(url.pathname);
    if (url.pathname === '/health') return send(res, 200, { instance, orders: orders.size });
    if (url.pathname === '/metrics' && options.metrics) return options.metrics(req, res);
    if (!match) return send(res, 404, { error: 'not found' });
    const orderId = match[1]!;
    // A read must not create: an order exists once a webhook stored it (here or on another instance).
    if (req.method === 'GET' && !match[2] && !orders.has(orderId)) {
      try {
        if ((await adapter.list(keyOf(orderId))).length === 0) return send(res, 404, { error: 'no such order' });
      } catch (error) {
        return fail(res, req, 503, error);
      }
    }
    let order: Order;
    try {
      order = await open(orderId);
    } catch (error) {
      if (isCheckpointError(error) && error.code === 'lock-held') {
        return send(res, 409, { error: 'lock-held', detail: 'another instance owns this order; retry later' });
      }
      return fail(res, req, 503, error);
    }
    if (req.method === 'GET' && !match[2]) return send(res, 200, view(order));
    if (req.method !== 'POST' || !match[2]) return send(res, 405, { error: 'method not allowed' });

    const body = (await readJson(req)) as { type?: unknown; webhookId?: unknown } | undefined;
    if (!body || typeof body.type !== 'string' || !EVENTS.has(body.type) || typeof body.webhookId !== 'string') {
      return send(res, 400, { error: 'expected { type: PAY | SHIP | DELIVER, webhookId: string }' });
    }
    order.actor.send({ type: body.type, webhookId: body.webhookId, instance } as OrderEvent);
    // False when the event does not fit the order's state (e.g. SHIP before PAY): acknowledged, not applied.
    const recorded = order.actor.getSnapshot().context.applied.some((a) => a.webhookId === body.webhookId);
    try {
      // The acknowledgement: only once the checkpoint with this webhook is durable.
      const saved = await order.flush();
      return send(res, 200, { ...view(order), recorded, seq: saved?.seq });
    } catch (error) {
      // Fenced: another instance took this order over; forget our copy and let the sender retry.
      await drop(orderId);
      return fail(res, req, 503, error);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, req, 500, error));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...orders.keys()].map(drop));
    },
  };
}

/** An error's message and the messages of its causes, on one line. */
function causeText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    if (!(e instanceof Error)) {
      parts.push(typeof e === 'string' ? e : (JSON.stringify(e) ?? typeof e));
      break;
    }
    parts.push(e.message);
  }
  return parts.join(' <- caused by: ');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
