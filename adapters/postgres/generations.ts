import { openKey, type PostgresIo } from './context.js';
import { closed } from './errors.js';
import { info, num, toBytes, type GenerationRow, type NewestRow } from './rows.js';
import { query, run } from './run.js';
import type { CheckpointAdapter } from '../../src/adapter.js';
import { writeGeneration } from './write.js';

/**
 * The adapter's live generations: `list`, `readNewest`, `read`, `keys`,
 * `write` ({@link writeGeneration}) and `remove`. `readNewest` is one
 * statement, so its sequences, quarantine high mark, epoch and newest bytes
 * agree with each other; a quarantined generation is neither read nor
 * removed here.
 *
 * @example
 * ```ts
 * const { list, readNewest } = generationMethods(io);
 * const [newest] = await list('order-1');
 * ```
 */
export function generationMethods(
  io: PostgresIo,
): Required<Pick<CheckpointAdapter, 'list' | 'readNewest' | 'read' | 'write' | 'remove' | 'keys'>> {
  const { sql } = io;
  return {
    async list(key) {
      openKey(io, key);
      const result = await run(io, { key }, true, (c) => query<GenerationRow>(io, c, sql.list, [key]));
      return result.rows.map(info);
    },

    async readNewest(key) {
      openKey(io, key);
      const result = await run(io, { key }, true, (c) => query<NewestRow>(io, c, sql.newest, [key]));
      const row = result.rows[0];
      if (!row) return { seqs: [], quarantinedSeq: 0, epoch: 0 };
      const seqs = row.seqs.map(num);
      const newest = row.payload ? { seq: num(row.newest_seq), bytes: toBytes(row.payload) } : undefined;
      return { seqs, quarantinedSeq: num(row.quarantined_seq), epoch: num(row.epoch), newest };
    },

    async read(key, seq) {
      openKey(io, key);
      const result = await run(io, { key, seq }, true, (c) => query<{ payload: Buffer }>(io, c, sql.read, [key, seq]));
      const row = result.rows[0];
      return row ? toBytes(row.payload) : undefined;
    },

    write: (key, record) => writeGeneration(io, key, record),

    async remove(key, seq) {
      openKey(io, key);
      await run(io, { key, seq }, true, (c) => query(io, c, sql.remove, [key, seq]));
    },

    async keys() {
      if (io.disposed) throw closed();
      const result = await run(io, {}, true, (c) => query<{ key: string }>(io, c, sql.keys));
      return result.rows.map((row) => row.key);
    },
  };
}
