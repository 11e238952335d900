import type { AcquireOptions, CheckpointAdapter, GenerationNotice, Lease, NewestRead } from '../../src/adapter.js';
import { disposeIo, postgresIo } from './context.js';
import { NAME } from './errors.js';
import { generationMethods } from './generations.js';
import { postgresLeases } from './leases.js';
import { subscribe } from './notify.js';
import { quarantineMethods } from './quarantine.js';
import { names, schemaSql } from './statements.js';
import type { PostgresAdapterOptions } from './options.js';

export { postgresServerName } from './connection-config.js';
export { postgresErrorCode } from './errors.js';
export type { PgModule, PostgresAdapterOptions, PostgresRetryOptions } from './options.js';

/**
 * A lease on a key in PostgreSQL; expires unless renewed (the adapter renews
 * it by default).
 *
 * @example
 * ```ts
 * import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
 * const adapter = postgresAdapter({ renewLeases: false });
 * const lease = await adapter.acquire('order-1', { ttlMs: 10_000, waitMs: 15_000 });
 * await lease.renew(); // another 10 s; rejects with `fenced` if it was taken over
 * await lease.release();
 * ```
 */
export interface PostgresLease extends Lease {
  /** When the lease expires by the database clock (ms since 1970), as of the last acquire or renew. */
  readonly expiresAt: number;
  /**
   * Extends the lease by `ttlMs` from the database's now. Rejects with
   * `fenced` when the lease was taken over or released.
   */
  renew(ttlMs?: number): Promise<void>;
}

/** The adapter {@link postgresAdapter} returns: the contract plus typed leases. */
export interface PostgresAdapter extends CheckpointAdapter {
  acquire(key: string, options?: AcquireOptions): Promise<PostgresLease>;
  readNewest(key: string): Promise<NewestRead>;
  subscribe(key: string, listener: (notice: GenerationNotice) => void): () => void;
}

/** Names for {@link postgresSchemaSql}. */
export interface PostgresSchemaOptions {
  /** @default 'xstate_checkpoints' */
  readonly table?: string;
  /** @default unqualified (the `search_path`) */
  readonly schema?: string;
}

/**
 * The SQL that creates the adapter's tables and index (idempotent: `IF NOT
 * EXISTS` throughout), for deployments that run migrations themselves and
 * pass `createTable: false`.
 *
 * Layout: `<table>` holds one row per generation (key, seq, epoch, version,
 * created_at, byte_length, checksum, payload, and the quarantine columns), its
 * primary key `(key, seq)` serves "newest first"; `<table>_heads` holds one
 * row per key: the highest sequence ever published, the fencing epoch and the
 * lease (owner, expires_at).
 *
 * @example
 * ```ts
 * import { postgresSchemaSql } from 'xstate-checkpoint/adapters/postgres';
 * const sql = postgresSchemaSql({ schema: 'app', table: 'checkpoints' });
 * // write `sql` into a migration file
 * ```
 */
export function postgresSchemaSql(options: PostgresSchemaOptions = {}): string {
  return schemaSql(names(options));
}

/**
 * Stores checkpoints in PostgreSQL (`pg` 8): one row per generation, publish
 * by compare-and-set, leases with fencing epochs on the database clock, so
 * many processes on many hosts can share one store.
 *
 * - `write` publishes sequence `n` in one statement that first advances the
 *   key's head row (`seq < n`, `epoch <= record.epoch`) under its row lock:
 *   a stale writer gets `conflict`, an older owner gets `fenced`, never an
 *   overwrite. A write whose connection dropped after sending is "in doubt";
 *   retrying it with the same record succeeds if the first attempt landed.
 * - `acquire` takes the key when its lease is free or expired by the
 *   database's `now()`, and bumps the epoch past every stored one.
 * - Reads retry with backoff after a lost connection; failures are typed
 *   (`connection`, `storage-full`, `permission`, `read-only`, `timeout`, `io`).
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
 * import { createMachine } from 'xstate';
 *
 * const adapter = postgresAdapter({ connectionString: 'postgresql://app@db.internal:5432/app', schema: 'checkpoints' });
 * const order = await persistActor(createMachine({ id: 'order' }), { key: 'order-1', adapter, lock: true });
 * await order.flush(); // durable in PostgreSQL, published with compare-and-set under the lease's epoch
 * ```
 */
export function postgresAdapter(options: PostgresAdapterOptions = {}): PostgresAdapter {
  const io = postgresIo(options);
  const leases = postgresLeases(io);
  return {
    name: NAME,
    capabilities: { durable: true, crossProcess: true, locks: true },
    ...generationMethods(io),
    ...quarantineMethods(io),
    subscribe: (key, listener) => subscribe(io, key, listener),
    acquire: (key, acquireOptions = {}) => leases.acquire(key, acquireOptions),
    dispose: () => disposeIo(io, leases),
  };
}
