import { join } from 'node:path';
import type { JournalDamage, JournalReadResult } from '../../../src/adapter.js';
import { LIST_KEY_FOLDER } from '../durable.js';
import { readNames } from '../folders.js';
import { scanAll, segmentsOf } from './segment.js';
import type { JournalIo, KeyState } from './state.js';

/**
 * The entries after `afterSeq` in the key folder `dir`, with the torn tail or
 * corrupt part that ends them, if any (how many bytes it spans, up to the
 * end of the last segment). Damage makes the next append verify the tail.
 *
 * @example
 * ```ts
 * const { entries, torn, corrupt } = await readJournal(io, s, 'order-1', dir, 0);
 * ```
 */
export async function readJournal(
  io: JournalIo,
  s: KeyState,
  key: string,
  dir: string,
  afterSeq: number,
): Promise<JournalReadResult> {
  const { fs } = io;
  const segments = segmentsOf(await readNames(fs, dir, key, LIST_KEY_FOLDER));
  const scan = await scanAll(fs, dir, key, segments, afterSeq, s.cutAfter);
  const entries = scan.entries;
  if (scan.reason === undefined) return { entries };
  s.verified = false;
  let byteLength = scan.size - scan.end;
  for (const later of scan.later) {
    byteLength += await fs.stat(join(dir, later.name)).then(
      (st) => st.size,
      () => 0,
    );
  }
  const damage: JournalDamage = { afterSeq: scan.lastSeq, byteLength, reason: scan.reason };
  return scan.torn ? { entries, torn: damage } : { entries, corrupt: damage };
}
