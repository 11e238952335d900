import { CheckpointError } from '../../src/errors.js';
import { openKey, type PostgresIo } from './context.js';
import { closed, NAME } from './errors.js';
import { quarantineInfo, quarantineSeq, toBytes, type QuarantineRow } from './rows.js';
import { query, run } from './run.js';
import type { CheckpointAdapter } from '../../src/adapter.js';

/**
 * The adapter's quarantine: a quarantined generation keeps its row, marked
 * with the reason and the database's time, and its seq is its id.
 * `quarantine` is not retried after sending (a second attempt would not find
 * the generation live) and is `not-found` when it is not live.
 *
 * @example
 * ```ts
 * const { quarantine, listQuarantine } = quarantineMethods(io);
 * await quarantine('order-1', 3, 'corrupt');
 * ```
 */
export function quarantineMethods(
  io: PostgresIo,
): Pick<CheckpointAdapter, 'quarantine' | 'listQuarantine' | 'readQuarantined' | 'deleteQuarantined'> {
  const { sql } = io;
  return {
    async quarantine(key, seq, reason) {
      openKey(io, key);
      const result = await run(io, { key, seq }, false, (c) =>
        query<QuarantineRow>(io, c, sql.quarantine, [key, seq, reason]),
      );
      const row = result.rows[0];
      if (!row) throw new CheckpointError('not-found', { key, seq, adapter: NAME });
      return quarantineInfo(row);
    },

    async listQuarantine(key) {
      if (key !== undefined) openKey(io, key);
      else if (io.disposed) throw closed();
      const result = await run(io, key === undefined ? {} : { key }, true, (c) =>
        key === undefined
          ? query<QuarantineRow>(io, c, sql.listQuarantine(false))
          : query<QuarantineRow>(io, c, sql.listQuarantine(true), [key]),
      );
      return result.rows.map(quarantineInfo);
    },

    async readQuarantined(key, id) {
      openKey(io, key);
      const seq = quarantineSeq(id);
      if (seq === undefined) return undefined;
      const result = await run(io, { key, seq }, true, (c) =>
        query<{ payload: Buffer }>(io, c, sql.readQuarantined, [key, seq]),
      );
      const row = result.rows[0];
      return row ? toBytes(row.payload) : undefined;
    },

    async deleteQuarantined(key, id) {
      openKey(io, key);
      const seq = quarantineSeq(id);
      if (seq === undefined) return;
      await run(io, { key, seq }, true, (c) => query(io, c, sql.deleteQuarantined, [key, seq]));
    },
  };
}
