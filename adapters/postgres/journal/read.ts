import type { JournalEntry, JournalReadResult } from '../../../src/adapter.js';
import { crc32 } from '../../../src/checksum.js';
import { preparedQuery } from '../prepared.js';
import { withClient } from './connection.js';
import type { JournalIo } from './context.js';
import { READ_PAGE } from './statements.js';

/**
 * The journal's `read`: the entries after `afterSeq`, page by page, each
 * checked against its CRC-32, up to the first bad one; the rest is reported
 * as corrupt (with its size) and the next append moves it aside.
 *
 * @example
 * ```ts
 * const { entries, corrupt } = await readEntries(io, 'order-1', 0);
 * ```
 */
export function readEntries(io: JournalIo, key: string, afterSeq: number): Promise<JournalReadResult> {
  return withClient(io, key, 'read the journal', async (c): Promise<JournalReadResult> => {
    const entries: JournalEntry[] = [];
    let last = afterSeq;
    // Rows after a mark (a bad checksum read before, or `setAsideAfter`) are damage until an append moves them.
    const cut = io.damagedAfter.get(key);
    const damaged = async (reason: string): Promise<JournalReadResult> => {
      io.damagedAfter.set(key, Math.min(last, cut ?? last));
      const rest = await preparedQuery<{ bytes: number }>(io.statements, c, io.sql.rest, [key, last]);
      return { entries, corrupt: { afterSeq: last, byteLength: rest.rows[0]!.bytes, reason } };
    };
    for (;;) {
      const page = await preparedQuery<{ seq: string; checksum: string; payload: Buffer }>(
        io.statements,
        c,
        io.sql.read,
        [key, last],
      );
      for (const row of page.rows) {
        const seq = Number(row.seq);
        const bytes = new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength);
        if (cut !== undefined && seq > cut) return damaged(`entry ${seq} was set aside: its bytes do not decode`);
        if (crc32(bytes) !== Number(row.checksum)) return damaged(`entry ${seq} checksum mismatch`);
        entries.push({ seq, bytes });
        last = seq;
      }
      if (page.rows.length < READ_PAGE) return { entries };
    }
  });
}
