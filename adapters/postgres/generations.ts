import type { GenerationInfo, NewestRead } from '../../src/adapter.js';
import { openKey, type PostgresIo } from './context.js';
import { closed } from './errors.js';
import { info, num, toBytes, type GenerationRow, type NewestRow } from './rows.js';
import { query, run } from './run.js';

/**
 * The adapter's `list`: the key's live generations, newest first.
 *
 * @example
 * ```ts
 * const [newest] = await listGenerations(io, 'order-1');
 * ```
 */
export async function listGenerations(io: PostgresIo, key: string): Promise<GenerationInfo[]> {
  openKey(io, key);
  const result = await run(io, { key }, true, (c) => query<GenerationRow>(io, c, io.sql.list, [key]));
  return result.rows.map(info);
}

/**
 * The adapter's `readNewest`: sequences, quarantine high mark, epoch and the
 * newest bytes from one statement, so they agree with each other.
 *
 * @example
 * ```ts
 * const { seqs, newest } = await readNewest(io, 'order-1');
 * ```
 */
export async function readNewest(io: PostgresIo, key: string): Promise<NewestRead> {
  openKey(io, key);
  const result = await run(io, { key }, true, (c) => query<NewestRow>(io, c, io.sql.newest, [key]));
  const row = result.rows[0];
  if (!row) return { seqs: [], quarantinedSeq: 0, epoch: 0 };
  const seqs = row.seqs.map(num);
  const newest = row.payload ? { seq: num(row.newest_seq), bytes: toBytes(row.payload) } : undefined;
  return { seqs, quarantinedSeq: num(row.quarantined_seq), epoch: num(row.epoch), newest };
}

/**
 * The adapter's `read`: generation `seq`'s bytes, or `undefined` when it is gone (or quarantined).
 *
 * @example
 * ```ts
 * const bytes = await readGeneration(io, 'order-1', 3);
 * ```
 */
export async function readGeneration(io: PostgresIo, key: string, seq: number): Promise<Uint8Array | undefined> {
  openKey(io, key);
  const result = await run(io, { key, seq }, true, (c) => query<{ payload: Buffer }>(io, c, io.sql.read, [key, seq]));
  const row = result.rows[0];
  return row ? toBytes(row.payload) : undefined;
}

/**
 * The adapter's `remove`: deletes a live generation (a quarantined one stays).
 *
 * @example
 * ```ts
 * await removeGeneration(io, 'order-1', 2);
 * ```
 */
export async function removeGeneration(io: PostgresIo, key: string, seq: number): Promise<void> {
  openKey(io, key);
  await run(io, { key, seq }, true, (c) => query(io, c, io.sql.remove, [key, seq]));
}

/**
 * The adapter's `keys`: every key with a live generation.
 *
 * @example
 * ```ts
 * const keys = await listKeys(io);
 * ```
 */
export async function listKeys(io: PostgresIo): Promise<string[]> {
  if (io.disposed) throw closed();
  const result = await run(io, {}, true, (c) => query<{ key: string }>(io, c, io.sql.keys));
  return result.rows.map((row) => row.key);
}
