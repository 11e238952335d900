import type { GenerationNotice } from '../../src/adapter.js';
import { connectConfig } from './connection-config.js';
import { openKey, type PostgresIo } from './context.js';
import { postgresNotices } from './notices.js';
import { num } from './rows.js';
import { query, run } from './run.js';

/**
 * Tells listeners (any process) about a published generation with `NOTIFY`
 * (unless `notify` is off); not awaited by the write, and its failure is
 * ignored (followers poll as well).
 *
 * @example
 * ```ts
 * announce(io, 'order-1', 3, 1);
 * ```
 */
export function announce(io: PostgresIo, key: string, seq: number, epoch: number): void {
  if (!io.notify) return;
  // run() keeps it among the statements dispose() waits for.
  run(io, { key, seq }, false, (c) => query(io, c, io.sql.notify, [io.channelOf(key), `${seq} ${epoch} ${key}`])).then(
    () => undefined,
    () => undefined,
  );
}

/**
 * The adapter's `subscribe`: the first call opens the `LISTEN` connection
 * ({@link postgresNotices}) the later ones share.
 *
 * @example
 * ```ts
 * const stop = subscribe(io, 'order-1', (notice) => console.log(notice.seq));
 * ```
 */
export function subscribe(io: PostgresIo, key: string, listener: (notice: GenerationNotice) => void): () => void {
  openKey(io, key);
  io.notices ??= postgresNotices({
    clock: io.clock,
    connect: async () => {
      const pg = await io.loadPg();
      return new pg.default.Client(connectConfig(io.options));
    },
    channelOf: io.channelOf,
    heads: async (keys) => {
      const result = await run(io, {}, true, (c) =>
        query<{ key: string; seq: string; epoch: string }>(io, c, io.sql.heads, [keys]),
      );
      return result.rows.map((row) => ({ key: row.key, seq: num(row.seq), epoch: num(row.epoch) }));
    },
  });
  return io.notices.subscribe(key, listener);
}
