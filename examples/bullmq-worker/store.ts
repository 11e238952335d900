// The outside world of the order jobs, in PostgreSQL: stock, payments and emails, each side effect
// stored once by its idempotency key, every attempt logged (so a demo or test can see redeliveries).
import pg from 'pg';

/** One side effect as it landed: the first attempt that carried its idempotency key. */
export interface Effect {
  readonly key: string;
  readonly orderId: string;
  readonly kind: 'reserve' | 'charge' | 'cancel' | 'email';
  /** The worker process (pid) whose attempt landed. */
  readonly worker: number;
  /** When it landed (ms since 1970). */
  readonly at: number;
  readonly detail: Record<string, unknown>;
}

/** The order jobs' store: one pool, three tables in `schema`. */
export interface OrderStore {
  /** Records `kind` for `key` once: true if this attempt landed, false if the key was already there. */
  perform(kind: Effect['kind'], key: string, orderId: string, detail?: Record<string, unknown>): Promise<boolean>;
  /** Whether the payment provider has seen the order paid (the demo pays orders from outside). */
  isPaid(orderId: string): Promise<boolean>;
  /** Marks an order paid (what the payment provider's webhook would do). */
  pay(orderId: string): Promise<void>;
  effects(): Promise<Effect[]>;
  /** Attempts per idempotency key (1 = never redelivered). */
  attempts(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/**
 * Opens the store in `schema` (created with its tables when missing).
 *
 * @example
 * ```ts
 * import { openOrderStore } from './store.js';
 * const store = await openOrderStore({ host: '127.0.0.1', database: 'test' }, 'bullmq_demo');
 * await store.perform('reserve', 'order-1:reserve', 'order-1');
 * await store.close();
 * ```
 */
export async function openOrderStore(config: pg.PoolConfig, schema: string): Promise<OrderStore> {
  const pool = new pg.Pool({ ...config, max: 3 });
  pool.on('error', () => undefined);
  const s = `"${schema}"`;
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.effects (
    key text PRIMARY KEY, order_id text NOT NULL, kind text NOT NULL, worker int NOT NULL, at bigint NOT NULL, detail jsonb NOT NULL)`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${s}.attempts (key text NOT NULL, worker int NOT NULL, at bigint NOT NULL)`,
  );
  await pool.query(`CREATE TABLE IF NOT EXISTS ${s}.payments (order_id text PRIMARY KEY, paid_at bigint NOT NULL)`);
  return {
    async perform(kind, key, orderId, detail = {}) {
      const now = Date.now();
      await pool.query(`INSERT INTO ${s}.attempts (key, worker, at) VALUES ($1, $2, $3)`, [key, process.pid, now]);
      const inserted = await pool.query(
        `INSERT INTO ${s}.effects (key, order_id, kind, worker, at, detail) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (key) DO NOTHING`,
        [key, orderId, kind, process.pid, now, JSON.stringify(detail)],
      );
      return inserted.rowCount === 1;
    },
    async isPaid(orderId) {
      const { rowCount } = await pool.query(`SELECT 1 FROM ${s}.payments WHERE order_id = $1`, [orderId]);
      return rowCount === 1;
    },
    async pay(orderId) {
      await pool.query(`INSERT INTO ${s}.payments (order_id, paid_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
        orderId,
        Date.now(),
      ]);
    },
    async effects() {
      const { rows } = await pool.query<{
        key: string;
        order_id: string;
        kind: Effect['kind'];
        worker: number;
        at: string;
        detail: Record<string, unknown>;
      }>(`SELECT * FROM ${s}.effects ORDER BY at`);
      return rows.map((r) => ({ ...r, orderId: r.order_id, at: Number(r.at) }));
    },
    async attempts() {
      const { rows } = await pool.query<{ key: string; n: string }>(
        `SELECT key, count(*) AS n FROM ${s}.attempts GROUP BY key`,
      );
      return new Map(rows.map((r) => [r.key, Number(r.n)]));
    },
    close: () => pool.end(),
  };
}
