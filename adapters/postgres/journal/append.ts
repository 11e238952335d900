import type { JournalEntry } from '../../../src/adapter.js';
import { crc32 } from '../../../src/checksum.js';
import { checkJournalOrder } from '../../../src/journal-order.js';
import { conflictingAppend, fencedAppend } from '../../shared/journal-refusal.js';
import { preparedQuery } from '../prepared.js';
import { withClient } from './connection.js';
import { NAME, type JournalIo } from './context.js';

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The journal's `append`: one statement, so one transaction and one commit
 * for the whole group (see the `append` statement). After a read found a
 * damaged row, the rows from there on are moved aside first. Refused with
 * `fenced` below the key's epoch, with `conflict` at or below its last
 * sequence, unless the same rows are there already (a resend whose reply was
 * lost).
 *
 * @example
 * ```ts
 * await appendEntries(io, 'order-1', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export function appendEntries(
  io: JournalIo,
  key: string,
  entries: readonly JournalEntry[],
  epoch: number,
): Promise<void> {
  return withClient(io, key, 'append to the journal', async (c) => {
    checkJournalOrder(key, NAME, entries);
    if (entries.length === 0) return;
    const first = entries[0]!.seq;
    const cut = io.damagedAfter.get(key);
    if (cut !== undefined) {
      await preparedQuery(io.statements, c, io.sql.aside, [key, cut]);
      io.damagedAfter.delete(key);
    }
    const seqs = entries.map((e) => e.seq);
    const sums = entries.map((e) => crc32(e.bytes));
    const result = await preparedQuery<{ head_epoch: string; last_seq: string; last_epoch: string; inserted: number }>(
      io.statements,
      c,
      io.sql.append,
      [key, seqs, epoch, sums, entries.map((e) => toBuffer(e.bytes)), first],
    );
    const row = result.rows[0]!;
    if (row.inserted === entries.length) return;
    const keyEpoch = Math.max(Number(row.head_epoch), Number(row.last_epoch));
    if (epoch < keyEpoch) throw fencedAppend({ adapter: NAME, key, first, epoch, keyEpoch });
    // A resend of an append that landed before its reply was lost: the same rows are there.
    const same = await preparedQuery<{ n: number }>(io.statements, c, io.sql.same, [key, seqs, sums]);
    if (same.rows[0]!.n === entries.length) return;
    throw conflictingAppend({ adapter: NAME, key, first, lastSeq: Number(row.last_seq) });
  });
}
