import { disposeTogether } from '../shared/dispose.js';
import { postgresAdapter, type PostgresAdapter, type PostgresAdapterOptions } from './index.js';
import { preparedQuery } from './prepared.js';
import { appendEntries } from './journal/append.js';
import { openJournalKey, withClient } from './journal/connection.js';
import { journalIo } from './journal/context.js';
import type { PostgresJournal, PostgresJournalOptions } from './journal/options.js';
import { inTurn } from './journal/queue.js';
import { readEntries } from './journal/read.js';
import { journalSchemaSql, journalTables } from './journal/statements.js';

export type { PostgresJournal, PostgresJournalOptions } from './journal/options.js';

/**
 * The SQL of the journal's tables (idempotent), for deployments that run
 * migrations themselves (then pass `createTable: false`, and run
 * `postgresSchemaSql` for the adapter's tables too).
 *
 * @example
 * ```ts
 * import { postgresJournalSql } from 'xstate-checkpoint/adapters/postgres-journal';
 * const sql = postgresJournalSql({ schema: 'app', table: 'checkpoints' });
 * ```
 */
export function postgresJournalSql(options: Pick<PostgresJournalOptions, 'table' | 'schema'> = {}): string {
  return journalSchemaSql(journalTables(options));
}

/**
 * The event journal in PostgreSQL: one row per entry (`key`, `seq`, `epoch`,
 * CRC-32 `checksum`, `payload`) in `<table>_journal`. One append is one
 * statement, so one transaction and one commit carry the whole group. The
 * statement reads the key's lease epoch from the adapter's `<table>_heads`
 * row under a share lock (a concurrent `acquire` waits for it, or it for the
 * `acquire`) and refuses an older epoch with `fenced`, a sequence at or below
 * the last stored one with `conflict`. Re-sending an append whose reply was
 * lost succeeds when its rows are there with the same checksums. A truncate
 * (one `DELETE`) runs beside the key's appends, so a compaction holds up no
 * group.
 *
 * `read` verifies each row's checksum and stops at the first bad one; the
 * next append moves the rows from there on into `<table>_journal_aside`
 * (kept, never deleted) and continues after the last good entry; so does
 * `setAsideAfter` (entries the kit cannot decode).
 *
 * @example
 * ```ts
 * import { postgresJournal } from 'xstate-checkpoint/adapters/postgres-journal';
 * const journal = postgresJournal({ connectionString: 'postgresql://app@db.internal/app' });
 * await journal.append('order-1', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export function postgresJournal(options: PostgresJournalOptions = {}): PostgresJournal {
  const io = journalIo(options);
  return {
    append: (key, entries, epoch) => inTurn(io.chains, key, () => appendEntries(io, key, entries, epoch)),
    read: (key, afterSeq) => inTurn(io.chains, key, () => readEntries(io, key, afterSeq)),
    // A mark, in the key's call order: reads stop there and the next append moves the rows aside.
    setAsideAfter: (key, afterSeq) =>
      inTurn(io.chains, key, async () => {
        openJournalKey(io, key);
        io.damagedAfter.set(key, Math.min(afterSeq, io.damagedAfter.get(key) ?? afterSeq));
      }),
    // Beside the key's appends and reads (in order among themselves): the DELETE never touches a row
    // an append writes, and each statement sees the rows before or after it whole, so a compaction's
    // truncate holds up no group behind it.
    truncate: (key, uptoSeq) =>
      inTurn(io.truncations, key, () =>
        withClient(io, key, 'truncate the journal', async (c) => {
          await preparedQuery(io.statements, c, io.sql.truncate, [key, uptoSeq]);
        }),
      ),
    async dispose() {
      if (io.disposed) return;
      io.disposed = true;
      await Promise.all([...io.chains.values(), ...io.truncations.values()]);
      await io.ownPool?.end().catch(() => undefined);
    },
  };
}

/**
 * {@link postgresAdapter} with its {@link postgresJournal}: the PostgreSQL
 * store for journal mode. Pass `pool` to run both on one pool; otherwise each
 * creates its own from the connection options. `dispose()` closes both.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistJournaled } from 'xstate-checkpoint/journal';
 * import { postgresJournalAdapter } from 'xstate-checkpoint/adapters/postgres-journal';
 *
 * const adapter = postgresJournalAdapter({ connectionString: 'postgresql://app@db.internal/app' });
 * const order = await persistJournaled(createMachine({ id: 'order' }), { key: 'order-1', adapter, journal: true, lock: true });
 * ```
 */
export function postgresJournalAdapter(options: PostgresAdapterOptions = {}): PostgresAdapter {
  const store = postgresAdapter(options);
  const journal = postgresJournal({
    ...(options.pool === undefined ? {} : { pool: options.pool }),
    ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
    ...(options.poolConfig === undefined ? {} : { poolConfig: options.poolConfig }),
    ...(options.table === undefined ? {} : { table: options.table }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.createTable === undefined ? {} : { createTable: options.createTable }),
    ...(options.preparedStatements === undefined ? {} : { preparedStatements: options.preparedStatements }),
  });
  const disposeStore = store.dispose.bind(store);
  return Object.assign(store, {
    journal,
    dispose: () => disposeTogether([journal.dispose(), disposeStore()]),
  });
}
