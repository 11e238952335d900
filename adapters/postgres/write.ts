import type { CheckpointRecord } from '../../src/adapter.js';
import { readEnvelopeHeader } from '../../src/envelope.js';
import { checkRecord, refusedWrite } from '../shared/records.js';
import { openKey, type PostgresIo } from './context.js';
import { NAME } from './errors.js';
import { announce } from './notify.js';
import { num, toBuffer, toBytes } from './rows.js';
import { query, run } from './run.js';

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

/**
 * The adapter's `write`: publishes `record` by compare-and-set on the key's
 * head row, retried after a lost connection (an attempt that landed before
 * its reply was lost counts as this write's success); `conflict` or `fenced`
 * when the head refused it. Announced with `NOTIFY` once published.
 *
 * @example
 * ```ts
 * await writeGeneration(io, 'order-1', { seq: 3, epoch: 1, bytes, createdAt: Date.now() });
 * ```
 */
export async function writeGeneration(io: PostgresIo, key: string, record: CheckpointRecord): Promise<void> {
  openKey(io, key);
  checkRecord(NAME, key, record);
  const { seq, epoch, bytes } = record;
  const { inDoubt, sql } = io;
  const details = { key, seq };
  const [version, checksum] = envelopeColumns(bytes);
  const values = [key, seq, epoch, version, record.createdAt, bytes.length, checksum, toBuffer(bytes)];
  // Retrying the same compare-and-set is safe: an attempt that landed before
  // its connection dropped is recognised below as this write's own generation.
  const result = await run(
    io,
    details,
    true,
    (c) => query(io, c, sql.write, values),
    () => inDoubt.mark(key, seq),
  );
  const doubted = inDoubt.settle(key, seq);
  if (result.rowCount === 1) return announce(io, key, seq, epoch);

  const head = await run(io, details, true, (c) => query<{ seq: string; epoch: string }>(io, c, sql.head, [key]));
  const current = head.rows[0];
  const headEpoch = current ? num(current.epoch) : 0;
  const headSeq = current ? num(current.seq) : 0;
  if (doubted) {
    const own = await run(io, details, true, (c) =>
      query<{ epoch: string; payload: Buffer }>(io, c, sql.own, [key, seq]),
    );
    const row = own.rows[0];
    // An attempt at this very record committed before its connection dropped: done.
    if (row && num(row.epoch) === epoch && sameBytes(toBytes(row.payload), bytes)) return announce(io, key, seq, epoch);
  }
  throw refusedWrite({ adapter: NAME, key, seq, epoch, headSeq, headEpoch });
}
