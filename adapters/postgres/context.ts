import type { Pool } from 'pg';
import { crc32 } from '../../src/checksum.js';
import { systemClock } from '../../src/clock.js';
import { CheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import { inDoubtWrites } from '../shared/records.js';
import { loadDriver } from '../shared/server-driver.js';
import type { ServerLeases } from '../shared/server-leases.js';
import { disposeServer, type ServerState } from '../shared/server-state.js';
import { connectConfig, postgresServerName } from './connection-config.js';
import { closed, NAME } from './errors.js';
import type { Prepared } from './prepared.js';
import { adapterStatements, names, type Names } from './statements.js';
import type { PgModule, PostgresAdapterOptions } from './options.js';

// A btree entry must fit in a third of a page (~2.7 KB); longer keys are refused, not truncated.
const MAX_KEY_BYTES = 2048;

/**
 * What every part of one PostgreSQL adapter shares: its settings (options
 * with their defaults), its statements, and the state its calls change (the
 * pool, the schema check, in-doubt writes, notices in flight, `disposed`).
 *
 * @example
 * ```ts
 * const io: PostgresIo = postgresIo({ connectionString: 'postgresql://app@db/app' });
 * ```
 */
export interface PostgresIo extends ServerState {
  readonly options: PostgresAdapterOptions;
  readonly n: Names;
  readonly sql: ReturnType<typeof adapterStatements>;
  readonly createTable: boolean;
  readonly notify: boolean;
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly loadPg: () => Promise<PgModule>;
  /** The NOTIFY channel of `key`'s writes. */
  readonly channelOf: (key: string) => string;
  /** How statements run: prepared (`preparedStatements`) under names kept here, or plain. */
  readonly statements: Prepared;
  /**
   * Statements in flight (writes, reads, notices), so dispose() waits for them instead of
   * ending the pool under them: pg's `Pool.end()` never serves nor rejects a `connect()`
   * queued behind busy connections, so such a call would never settle.
   */
  readonly running: Set<Promise<unknown>>;
  /** Set once `dispose()` waits for {@link running}: calls that start then are refused (`closed`). */
  closing: boolean;
  pool: Pool | undefined;
  /** The pool the adapter created (and ends on `dispose`). */
  ownPool: Pool | undefined;
  poolPromise: Promise<Pool> | undefined;
  /** The schema check (and creation), once it started. */
  ready: Promise<void> | undefined;
}

/**
 * The shared parts of an adapter for `options`: fills in the defaults, checks
 * `table` and `schema` (`invalid-option`), and prepares the statements.
 *
 * @example
 * ```ts
 * const io = postgresIo({ schema: 'app' });
 * io.sql.read; // SELECT payload FROM "app"."xstate_checkpoints" ...
 * ```
 */
export function postgresIo(options: PostgresAdapterOptions): PostgresIo {
  const n = names(options);
  const createTable = options.createTable ?? true;
  const defaultTtl = options.leaseTtlMs ?? 30_000;
  const renewLeases = options.renewLeases ?? true;
  const clock = options.clock ?? systemClock;
  const owner = options.owner ?? `xsc-${globalThis.crypto.randomUUID()}`;
  const attempts = Math.max(1, options.retry?.attempts ?? 4);
  const prepared = options.preparedStatements ?? true;
  const notify = options.notify ?? true;
  const minDelay = options.retry?.minDelayMs ?? 50;
  const maxDelay = options.retry?.maxDelayMs ?? 1000;
  // One channel per (table, key): followers of a key hear only its writes. Hash collisions only
  // cost a wasted notice, since the payload names the key.
  const tableTag = crc32(new TextEncoder().encode(n.qualified)).toString(16);
  return {
    options,
    n,
    sql: adapterStatements(n),
    createTable,
    defaultTtl,
    renewLeases,
    clock,
    owner,
    attempts,
    notify,
    minDelay,
    maxDelay,
    server: postgresServerName(connectConfig(options)),
    loadPg: () => loadDriver(NAME, 'pg', options.driver ?? (() => import('pg'))),
    channelOf: (key) => `xsc_${tableTag}_${crc32(new TextEncoder().encode(key)).toString(16)}`,
    statements: { prepared, prefix: 'xsc', names: new Map() },
    inDoubt: inDoubtWrites(),
    running: new Set(),
    closing: false,
    pool: options.pool,
    ownPool: undefined,
    poolPromise: undefined,
    ready: undefined,
    disposed: false,
    notices: undefined,
  };
}

/**
 * Refuses a call on `key` after `dispose()` (`closed`), a key the contract
 * refuses, or one longer than a PostgreSQL index entry takes (`invalid-key`).
 *
 * @example
 * ```ts
 * openKey(io, 'order-1');
 * ```
 */
export function openKey(io: PostgresIo, key: string): void {
  if (io.disposed) throw closed(key);
  checkKey(key, NAME);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new CheckpointError('invalid-key', {
      key: key.slice(0, 100),
      adapter: NAME,
      detail: `key is ${Buffer.byteLength(key, 'utf8')} bytes in UTF-8, PostgreSQL indexes take at most ${MAX_KEY_BYTES}`,
    });
  }
}

/**
 * The adapter's `dispose` ({@link disposeServer}): refuses new calls, waits
 * for the statements in flight (each settles: published or refused), and
 * ends the pool if the adapter created it.
 *
 * @example
 * ```ts
 * await disposeIo(io, leases);
 * ```
 */
export function disposeIo(io: PostgresIo, leases: ServerLeases): Promise<void> {
  return disposeServer(io, leases, {
    settle: () => {
      io.closing = true;
      return Promise.allSettled([...io.running]);
    },
    close: async () => {
      if (io.ownPool) await io.ownPool.end().catch(() => undefined);
    },
  });
}
