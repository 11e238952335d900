import { openKey, type PostgresIo } from './context.js';
import { closed, NAME } from './errors.js';
import { info, num, toBytes, type GenerationRow, type NewestRow } from './rows.js';
import { query, run } from './run.js';
import type { CheckpointAdapter, NewestRead } from '../../src/adapter.js';
import { CheckpointError, toCheckpointError } from '../../src/errors.js';
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
): Required<Pick<CheckpointAdapter, 'list' | 'readNewest' | 'readNewestMany' | 'read' | 'write' | 'remove' | 'keys'>> {
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
      return newestOf(result.rows[0]);
    },

    readNewestMany: (keys) => readNewestMany(io, keys),

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

/** A `newest` row as the contract's {@link NewestRead} (no row: a key never written). */
function newestOf(row: NewestRow | undefined): NewestRead {
  if (!row) return { seqs: [], quarantinedSeq: 0, epoch: 0 };
  const seqs = row.seqs.map(num);
  const newest = row.payload ? { seq: num(row.newest_seq), bytes: toBytes(row.payload) } : undefined;
  return { seqs, quarantinedSeq: num(row.quarantined_seq), epoch: num(row.epoch), newest };
}

/**
 * `readNewestMany`: every valid key's `readNewest` in one statement (one
 * snapshot, one round trip); a key the adapter refuses answers with its
 * typed error, and a failed statement rejects as `readNewest` would.
 */
async function readNewestMany(io: PostgresIo, keys: readonly string[]): Promise<Array<NewestRead | CheckpointError>> {
  const answers: Array<NewestRead | CheckpointError | undefined> = keys.map((key) => {
    try {
      openKey(io, key);
      return undefined;
    } catch (error) {
      return toCheckpointError(error, 'invalid-key', { key });
    }
  });
  const asked = keys.filter((_, i) => answers[i] === undefined);
  if (asked.length > 0) {
    const result = await run(io, {}, true, (c) => query<NewestRow & { i: string }>(io, c, io.sql.newestMany, [asked]));
    const rows = new Map(result.rows.map((row) => [num(row.i), row]));
    let position = 0;
    answers.forEach((answer, i) => {
      if (answer !== undefined) return;
      const row = rows.get(++position);
      // Never "no generations" for a row that did not come back: the caller reads that key alone.
      answers[i] = row
        ? newestOf(row)
        : new CheckpointError('io', { key: keys[i], adapter: NAME, detail: 'the batch read returned no row for it' });
    });
  }
  return answers as Array<NewestRead | CheckpointError>;
}
