import type { QuarantineInfo } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { openKey, type PostgresIo } from './context.js';
import { closed, NAME } from './errors.js';
import { quarantineInfo, quarantineSeq, toBytes, type QuarantineRow } from './rows.js';
import { query, run } from './run.js';

/**
 * The adapter's `quarantine`: marks a live generation quarantined (its row
 * stays, with the reason and the database's time); `not-found` when there is
 * no such live generation. Not retried after sending: a second attempt would
 * not find it live.
 *
 * @example
 * ```ts
 * const info = await quarantineGeneration(io, 'order-1', 3, 'corrupt');
 * ```
 */
export async function quarantineGeneration(
  io: PostgresIo,
  key: string,
  seq: number,
  reason: string,
): Promise<QuarantineInfo> {
  openKey(io, key);
  const result = await run(io, { key, seq }, false, (c) =>
    query<QuarantineRow>(io, c, io.sql.quarantine, [key, seq, reason]),
  );
  const row = result.rows[0];
  if (!row) throw new CheckpointError('not-found', { key, seq, adapter: NAME });
  return quarantineInfo(row);
}

/**
 * The adapter's `listQuarantine`: the key's quarantined generations (every
 * key's without one), newest quarantine first.
 *
 * @example
 * ```ts
 * const all = await listQuarantine(io, undefined);
 * ```
 */
export async function listQuarantine(io: PostgresIo, key: string | undefined): Promise<QuarantineInfo[]> {
  if (key !== undefined) openKey(io, key);
  else if (io.disposed) throw closed();
  const { sql } = io;
  const result = await run(io, key === undefined ? {} : { key }, true, (c) =>
    key === undefined
      ? query<QuarantineRow>(io, c, sql.listQuarantine(false))
      : query<QuarantineRow>(io, c, sql.listQuarantine(true), [key]),
  );
  return result.rows.map(quarantineInfo);
}

/**
 * The adapter's `readQuarantined`: the bytes of quarantined generation `id`, or `undefined`.
 *
 * @example
 * ```ts
 * const bytes = await readQuarantined(io, 'order-1', '3');
 * ```
 */
export async function readQuarantined(io: PostgresIo, key: string, id: string): Promise<Uint8Array | undefined> {
  openKey(io, key);
  const seq = quarantineSeq(id);
  if (seq === undefined) return undefined;
  const result = await run(io, { key, seq }, true, (c) =>
    query<{ payload: Buffer }>(io, c, io.sql.readQuarantined, [key, seq]),
  );
  const row = result.rows[0];
  return row ? toBytes(row.payload) : undefined;
}

/**
 * The adapter's `deleteQuarantined`: deletes quarantined generation `id` (nothing when there is none).
 *
 * @example
 * ```ts
 * await deleteQuarantined(io, 'order-1', '3');
 * ```
 */
export async function deleteQuarantined(io: PostgresIo, key: string, id: string): Promise<void> {
  openKey(io, key);
  const seq = quarantineSeq(id);
  if (seq === undefined) return;
  await run(io, { key, seq }, true, (c) => query(io, c, io.sql.deleteQuarantined, [key, seq]));
}
