import type { Client, Pool, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import type {
  AcquireOptions,
  CheckpointAdapter,
  GenerationInfo,
  GenerationNotice,
  Lease,
  NewestRead,
  QuarantineInfo,
} from '../../src/adapter.js';
import { crc32 } from '../../src/checksum.js';
import { readEnvelopeHeader } from '../../src/envelope.js';
import type { CheckpointErrorCode, CheckpointErrorDetails } from '../../src/errors.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';
import { backoffDelay } from '../shared/backoff.js';
import { pause } from '../shared/clock.js';
import { serverLeases } from '../shared/server-leases.js';
import { checkRecord, inDoubtWrites, refusedWrite } from '../shared/records.js';
import { adapterStatements, names, schemaSql } from './statements.js';
import { checkKey } from '../../src/keys.js';
import type { NoticeHub } from '../shared/notice-listeners.js';
import { postgresNotices } from './notices.js';
import { loadDriver, publicUrl } from '../shared/server-driver.js';
import { systemClock, type Clock } from '../../src/clock.js';

/** What the adapter takes from the `pg` module (`import('pg')` has it). */
export interface PgModule {
  readonly default: { readonly Pool: typeof Pool; readonly Client: typeof Client };
}

const NAME = 'postgres';
// A btree entry must fit in a third of a page (~2.7 KB); longer keys are refused, not truncated.
const MAX_KEY_BYTES = 2048;

/** Retry policy for operations that are safe to repeat after a lost connection. */
export interface PostgresRetryOptions {
  /** Attempts in total, the first included. @default 4 */
  readonly attempts?: number;
  /** Delay before the second attempt; doubles each time, with jitter. @default 50 */
  readonly minDelayMs?: number;
  /** Upper bound of one delay. @default 1000 */
  readonly maxDelayMs?: number;
}

/** Options of {@link postgresAdapter}. */
export interface PostgresAdapterOptions {
  /**
   * A `pg` pool to run on. The adapter never ends a pool it was given.
   * @default a pool the adapter creates from `connectionString` (and ends on `dispose`)
   */
  readonly pool?: Pool;
  /**
   * Connection string for the pool the adapter creates when no `pool` is given.
   * @default pg's environment defaults (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD)
   */
  readonly connectionString?: string;
  /**
   * Extra settings for the pool the adapter creates (`max`, `statement_timeout`, `ssl`, ...).
   * A connection attempt gives up after `connectionTimeoutMillis` (then the
   * operation is retried, and fails with `connection` after `retry.attempts`).
   * @default { connectionTimeoutMillis: 10000 }
   */
  readonly poolConfig?: PoolConfig;
  /**
   * Loads the `pg` driver (for bundlers that need a static import, or tests).
   * A driver that cannot be loaded fails with `driver-missing`.
   * @default () => import('pg')
   */
  readonly driver?: () => Promise<PgModule>;
  /** Table of generations; leases live in `<table>_heads`. At most 48 characters. @default 'xstate_checkpoints' */
  readonly table?: string;
  /** Schema of both tables. @default the connection's `search_path` */
  readonly schema?: string;
  /**
   * Create the schema, tables and indexes on first use when missing. Set to
   * `false` when migrations run {@link postgresSchemaSql} themselves.
   * @default true
   */
  readonly createTable?: boolean;
  /** Lease lifetime when `acquire()` is called without `ttlMs`. @default 30000 */
  readonly leaseTtlMs?: number;
  /** Renew held leases in the background every third of their lifetime. @default true */
  readonly renewLeases?: boolean;
  /**
   * Time for the client side of leases (background renewal, the wait of
   * `acquire({ waitMs })`), retry pauses and reconnects; lease expiry itself is
   * by the server's clock.
   * @default systemClock
   */
  readonly clock?: Clock;
  /** Name this adapter writes into the lease table (diagnostics). @default a random id */
  readonly owner?: string;
  /**
   * Retries after a lost connection, with backoff. Reads are repeated as they
   * are; a write is repeated as the same compare-and-set, and an attempt that
   * landed before its reply was lost counts as this write's success.
   */
  readonly retry?: PostgresRetryOptions;
  /**
   * After each write, `NOTIFY` the key's channel so followers in any process
   * (`subscribe`) hear of it at once instead of at their next poll. Costs one
   * short statement per write, not awaited by the write; turn off when no one follows.
   * @default true
   */
  readonly notify?: boolean;
  /**
   * Run the adapter's statements as named prepared statements (parsed and
   * planned once per connection). Turn off behind poolers that cannot keep
   * them, such as PgBouncer in transaction mode before 1.21.
   * @default true
   */
  readonly preparedStatements?: boolean;
}

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

const CONNECTION_CODES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting or stopping
  '57P05', // idle_session_timeout: the server closed an idle connection
  '53300', // too_many_connections
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * The {@link CheckpointErrorCode} of an error from `pg` or the socket under
 * it (SQLSTATE or errno), shared by the adapter and its journal.
 *
 * @example
 * ```ts
 * import { postgresErrorCode } from 'xstate-checkpoint/adapters/postgres';
 * postgresErrorCode(Object.assign(new Error('disk full'), { code: '53100' })); // 'storage-full'
 * ```
 */
export function postgresErrorCode(error: unknown): CheckpointErrorCode {
  if (isCheckpointError(error)) return error.code;
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (code.startsWith('08') || CONNECTION_CODES.has(code)) return 'connection';
  if (code === '53100') return 'storage-full';
  // Class 28: invalid authorization (wrong password, no pg_hba.conf entry for this user).
  if (code.startsWith('28')) return 'auth';
  if (code === '42501') return 'permission';
  if (code === '25006') return 'read-only';
  if (code === '57014') return 'timeout';
  if (code === '23505') return 'conflict';
  // pg reports a socket that closed under it without a code.
  const message = error instanceof Error ? error.message : '';
  // pg's own check before SCRAM when the server asks for a password none was given for.
  if (/^SASL: /.test(message)) return 'auth';
  if (/connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(message)) {
    return 'connection';
  }
  return 'io';
}

/**
 * The typed error for a `pg` failure. Connection and login failures name the
 * server (`server`, without its password), so the message says which one.
 */
function failure(error: unknown, details: CheckpointErrorDetails, server?: string): CheckpointError {
  if (isCheckpointError(error)) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  const sqlState = typeof raw === 'string' ? raw : undefined;
  const code = postgresErrorCode(error);
  const detail = details.detail ?? (error instanceof Error ? error.message : undefined);
  const named = server !== undefined && (code === 'connection' || code === 'auth');
  return new CheckpointError(code, {
    adapter: NAME,
    ...details,
    ...(named ? { detail: `${server}: ${detail ?? 'no answer'}` } : {}),
    cause: error,
    ...(sqlState === undefined ? {} : { data: { ...details.data, code: sqlState } }),
  });
}

/**
 * The server a pool connects to, as a URL without the password (for errors).
 *
 * @example
 * ```ts
 * import { postgresServerName } from 'xstate-checkpoint/adapters/postgres';
 * postgresServerName({ connectionString: 'postgresql://app:secret@db/app' }); // 'postgresql://app@db/app'
 * ```
 */
export function postgresServerName(config: PoolConfig): string {
  if (config.connectionString) return publicUrl(config.connectionString);
  const env = globalThis.process?.env ?? {};
  const host = config.host ?? env['PGHOST'] ?? 'localhost';
  const port = config.port ?? env['PGPORT'] ?? 5432;
  const user = config.user ?? env['PGUSER'];
  const database = config.database ?? env['PGDATABASE'] ?? '';
  return `postgresql://${user ? `${encodeURIComponent(user)}@` : ''}${host}:${port}/${database}`;
}

const ignore = (): void => undefined;

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const toBytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

interface GenerationRow {
  seq: number;
  epoch: number;
  byte_length: number;
  created_ms: number;
}

interface NewestRow {
  seqs: string[];
  quarantined_seq: string;
  epoch: string;
  newest_seq: string | null;
  payload: Buffer | null;
}

interface QuarantineRow extends GenerationRow {
  key: string;
  quarantine_reason: string;
  quarantined_ms: number;
}

const info = (row: GenerationRow): GenerationInfo => ({
  seq: num(row.seq),
  epoch: num(row.epoch),
  byteLength: num(row.byte_length),
  createdAt: num(row.created_ms),
});

const quarantineInfo = (row: QuarantineRow): QuarantineInfo => ({
  ...info(row),
  // Sequences are never reused for a key (the heads row remembers the highest), so the seq names it for good.
  id: String(num(row.seq)),
  key: row.key,
  reason: row.quarantine_reason,
  quarantinedAt: num(row.quarantined_ms),
});

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

  let pool: Pool | undefined = options.pool;
  let ownPool: Pool | undefined;
  let poolPromise: Promise<Pool> | undefined;
  let ready: Promise<void> | undefined;
  let disposed = false;
  // Writes whose outcome is unknown (connection lost after sending): a retry of
  // the same bytes that then meets its own generation reports success.
  const inDoubt = inDoubtWrites();
  let notices: NoticeHub | undefined;
  // What the pool connects with: the given pool's own settings, or the ones the adapter creates it from.
  const connectConfig = (): PoolConfig =>
    (options.pool as { options?: PoolConfig } | undefined)?.options ?? {
      connectionTimeoutMillis: 10_000,
      ...options.poolConfig,
      ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
    };
  const server = postgresServerName(connectConfig());
  const fail = (error: unknown, details: CheckpointErrorDetails) => failure(error, details, server);
  const loadPg = () => loadDriver(NAME, 'pg', options.driver ?? (() => import('pg')));
  // One channel per (table, key): followers of a key hear only its writes. Hash collisions only
  // cost a wasted notice, since the payload names the key.
  const tableTag = crc32(new TextEncoder().encode(n.qualified)).toString(16);
  const channelOf = (key: string) => `xsc_${tableTag}_${crc32(new TextEncoder().encode(key)).toString(16)}`;

  const sql = adapterStatements(n);

  const closed = (key?: string) => new CheckpointError('closed', { key, adapter: NAME });

  const statementNames = new Map<string, string>();
  const query = <R extends QueryResultRow = QueryResultRow>(c: PoolClient, text: string, values?: unknown[]) => {
    if (!prepared) return c.query<R>(text, values);
    let name = statementNames.get(text);
    if (name === undefined) {
      // Named after the text (which includes the table names), so adapters sharing a pool never clash.
      name = `xsc_${crc32(new TextEncoder().encode(text)).toString(16)}_${text.length}`;
      statementNames.set(text, name);
    }
    return c.query<R>({ name, text, ...(values === undefined ? {} : { values }) });
  };

  const openKey = (key: string): void => {
    if (disposed) throw closed(key);
    checkKey(key, NAME);
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
      throw new CheckpointError('invalid-key', {
        key: key.slice(0, 100),
        adapter: NAME,
        detail: `key is ${Buffer.byteLength(key, 'utf8')} bytes in UTF-8, PostgreSQL indexes take at most ${MAX_KEY_BYTES}`,
      });
    }
  };

  const getPool = async (): Promise<Pool> => {
    if (pool) return pool;
    poolPromise ??= (async () => {
      const pg = await loadPg();
      const PoolClass = pg.default.Pool;
      const created = new PoolClass(connectConfig());
      // An idle client whose backend dies emits 'error' on the pool; without a
      // listener that would crash the process. The next query reconnects.
      created.on('error', () => undefined);
      ownPool = created;
      pool = created;
      return created;
    })();
    return poolPromise;
  };

  const backoff = (attempt: number) =>
    pause(clock, backoffDelay(attempt, { minMs: minDelay, maxMs: maxDelay, jitter: true }));

  /**
   * Runs `fn` on a pooled client. Connection failures before anything was sent
   * are always retried; after sending only when `retrySent` (the statement is
   * idempotent, or `onSentFailure` makes its retry safe).
   */
  const run = async <R>(
    details: CheckpointErrorDetails,
    retrySent: boolean,
    fn: (client: PoolClient) => Promise<R>,
    onSentFailure?: () => void,
  ): Promise<R> => {
    for (let attempt = 0; ; attempt++) {
      if (disposed) throw closed(details.key);
      const last = attempt + 1 >= attempts;
      let client: PoolClient;
      try {
        const p = await getPool();
        if (createTable) await ensureSchema(p);
        client = await p.connect();
      } catch (error) {
        const mapped = fail(error, details);
        if (mapped.code === 'connection' && !last) {
          await backoff(attempt);
          continue;
        }
        throw mapped;
      }
      // A checked-out client re-emits a lost connection as an 'error' event after
      // failing its query; unheard, that event would crash the process.
      client.on('error', ignore);
      try {
        const result = await fn(client);
        client.off('error', ignore);
        client.release();
        return result;
      } catch (error) {
        const mapped = fail(error, details);
        client.off('error', ignore);
        // A client whose connection failed must not go back into the pool.
        client.release(mapped.code === 'connection' ? (error as Error) : undefined);
        if (mapped.code === 'connection') {
          onSentFailure?.();
          if (retrySent && !last) {
            await backoff(attempt);
            continue;
          }
        }
        throw mapped;
      }
    }
  };

  const ensureSchema = (p: Pool): Promise<void> => {
    ready ??= (async () => {
      const client = await p.connect();
      client.on('error', ignore);
      try {
        // DDL takes table locks that wait for (and block) writes even when nothing is
        // missing, so a new adapter on a busy table only looks.
        const found = await client.query<{ ready: boolean }>(
          'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL AS ready',
          [n.gens, n.heads, n.quarantineIndexQualified],
        );
        if (found.rows[0]?.ready) {
          client.off('error', ignore);
          client.release();
          return;
        }
        await client.query('BEGIN');
        // Concurrent CREATE ... IF NOT EXISTS can still collide in the catalog; serialize them.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`xstate-checkpoint:${n.qualified}`]);
        await client.query(schemaSql(n));
        await client.query('COMMIT');
        client.off('error', ignore);
        client.release();
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.off('error', ignore);
        client.release(error as Error);
        throw error;
      }
    })().catch((error: unknown) => {
      ready = undefined;
      throw fail(error, { detail: `could not create the tables: ${(error as Error).message}` });
    });
    return ready;
  };

  // Notices in flight, so dispose() waits for them instead of ending the pool under them.
  const announcing = new Set<Promise<void>>();
  /** Tells listeners (any process) about a published generation; not awaited by the write. */
  const announce = (key: string, seq: number, epoch: number): void => {
    if (!notify) return;
    const sent = run({ key, seq }, false, (c) => query(c, sql.notify, [channelOf(key), `${seq} ${epoch} ${key}`])).then(
      () => undefined,
      () => undefined,
    );
    announcing.add(sent);
    void sent.finally(() => announcing.delete(sent));
  };

  const envelopeColumns = (bytes: Uint8Array): [number | null, number | null] => {
    try {
      const header = readEnvelopeHeader(bytes);
      return [header.version, header.crc];
    } catch {
      // Not an envelope (raw bytes from a test or tool): store them without the derived columns.
      return [null, null];
    }
  };

  const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && toBuffer(a).equals(toBuffer(b));

  const leases = serverLeases({
    adapter: NAME,
    clock,
    defaultTtl,
    renewInBackground: renewLeases,
    disposed: () => disposed,
    statements: {
      take: async (key, ttlMs) => {
        const result = await run({ key }, false, (c) =>
          query<{ epoch: string; expires_ms: number }>(c, sql.acquire, [key, owner, ttlMs]),
        );
        const row = result.rows[0];
        if (row) return { epoch: num(row.epoch), expiresAt: num(row.expires_ms) };
        const holder = await run({ key }, true, (c) =>
          query<{ owner: string | null; expires_ms: number | null; now_ms: number }>(c, sql.holder, [key]),
        );
        const h = holder.rows[0];
        const expiresAt = h?.expires_ms == null ? undefined : num(h.expires_ms);
        return {
          holder: {
            owner: h?.owner ?? undefined,
            expiresAt,
            untilExpiry: expiresAt === undefined ? undefined : expiresAt - num(h!.now_ms),
          },
        };
      },
      extend: async (key, epoch, ttl) => {
        const result = await run({ key }, true, (c) => query(c, sql.renew, [key, owner, epoch, ttl]));
        const row = result.rows[0] as { expires_ms: number } | undefined;
        return row ? num(row.expires_ms) : undefined;
      },
      free: async (key, epoch) => {
        await run({ key }, true, (c) => query(c, sql.release, [key, owner, epoch]));
      },
    },
  });

  return {
    name: NAME,
    capabilities: { durable: true, crossProcess: true, locks: true },

    async list(key) {
      openKey(key);
      const result = await run({ key }, true, (c) => query<GenerationRow>(c, sql.list, [key]));
      return result.rows.map(info);
    },

    async readNewest(key): Promise<NewestRead> {
      openKey(key);
      const result = await run({ key }, true, (c) => query<NewestRow>(c, sql.newest, [key]));
      const row = result.rows[0];
      if (!row) return { seqs: [], quarantinedSeq: 0, epoch: 0 };
      const seqs = row.seqs.map(num);
      const newest = row.payload ? { seq: num(row.newest_seq), bytes: toBytes(row.payload) } : undefined;
      return { seqs, quarantinedSeq: num(row.quarantined_seq), epoch: num(row.epoch), newest };
    },

    async read(key, seq) {
      openKey(key);
      const result = await run({ key, seq }, true, (c) => query<{ payload: Buffer }>(c, sql.read, [key, seq]));
      const row = result.rows[0];
      return row ? toBytes(row.payload) : undefined;
    },

    async write(key, record) {
      openKey(key);
      checkRecord(NAME, key, record);
      const { seq, epoch, bytes } = record;
      const details = { key, seq };
      const [version, checksum] = envelopeColumns(bytes);
      const values = [key, seq, epoch, version, record.createdAt, bytes.length, checksum, toBuffer(bytes)];
      // Retrying the same compare-and-set is safe: an attempt that landed before
      // its connection dropped is recognised below as this write's own generation.
      const result = await run(
        details,
        true,
        (c) => query(c, sql.write, values),
        () => inDoubt.mark(key, seq),
      );
      const doubted = inDoubt.settle(key, seq);
      if (result.rowCount === 1) return announce(key, seq, epoch);

      const head = await run(details, true, (c) => query<{ seq: string; epoch: string }>(c, sql.head, [key]));
      const current = head.rows[0];
      const headEpoch = current ? num(current.epoch) : 0;
      const headSeq = current ? num(current.seq) : 0;
      if (doubted) {
        const own = await run(details, true, (c) => query<{ epoch: string; payload: Buffer }>(c, sql.own, [key, seq]));
        const row = own.rows[0];
        // An attempt at this very record committed before its connection dropped: done.
        if (row && num(row.epoch) === epoch && sameBytes(toBytes(row.payload), bytes)) return announce(key, seq, epoch);
      }
      throw refusedWrite({ adapter: NAME, key, seq, epoch, headSeq, headEpoch });
    },

    async remove(key, seq) {
      openKey(key);
      await run({ key, seq }, true, (c) => query(c, sql.remove, [key, seq]));
    },

    async keys() {
      if (disposed) throw closed();
      const result = await run({}, true, (c) => query<{ key: string }>(c, sql.keys));
      return result.rows.map((row) => row.key);
    },

    async quarantine(key, seq, reason) {
      openKey(key);
      const result = await run({ key, seq }, false, (c) => query<QuarantineRow>(c, sql.quarantine, [key, seq, reason]));
      const row = result.rows[0];
      if (!row) throw new CheckpointError('not-found', { key, seq, adapter: NAME });
      return quarantineInfo(row);
    },

    async listQuarantine(key) {
      if (key !== undefined) openKey(key);
      else if (disposed) throw closed();
      const result = await run(key === undefined ? {} : { key }, true, (c) =>
        key === undefined
          ? query<QuarantineRow>(c, sql.listQuarantine(false))
          : query<QuarantineRow>(c, sql.listQuarantine(true), [key]),
      );
      return result.rows.map(quarantineInfo);
    },

    async readQuarantined(key, id) {
      openKey(key);
      const seq = quarantineSeq(id);
      if (seq === undefined) return undefined;
      const result = await run({ key, seq }, true, (c) =>
        query<{ payload: Buffer }>(c, sql.readQuarantined, [key, seq]),
      );
      const row = result.rows[0];
      return row ? toBytes(row.payload) : undefined;
    },

    async deleteQuarantined(key, id) {
      openKey(key);
      const seq = quarantineSeq(id);
      if (seq === undefined) return;
      await run({ key, seq }, true, (c) => query(c, sql.deleteQuarantined, [key, seq]));
    },

    subscribe(key, listener) {
      openKey(key);
      notices ??= postgresNotices({
        clock,
        connect: async () => {
          const pg = await loadPg();
          return new pg.default.Client(connectConfig());
        },
        channelOf,
        heads: async (keys) => {
          const result = await run({}, true, (c) =>
            query<{ key: string; seq: string; epoch: string }>(c, sql.heads, [keys]),
          );
          return result.rows.map((row) => ({ key: row.key, seq: num(row.seq), epoch: num(row.epoch) }));
        },
      });
      return notices.subscribe(key, listener);
    },

    async acquire(key, acquireOptions = {}) {
      openKey(key);
      return leases.acquire(key, acquireOptions);
    },

    async dispose() {
      if (disposed) return;
      await leases.releaseAll();
      await Promise.all(announcing);
      disposed = true;
      inDoubt.clear();
      await notices?.close();
      if (ownPool) await ownPool.end().catch(() => undefined);
    },
  };
}

function quarantineSeq(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const seq = Number(id);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
