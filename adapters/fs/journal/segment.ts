import { join } from 'node:path';
import type { JournalEntry } from '../../../src/adapter.js';
import { scanJournalFrames, type FrameScan } from '../../../src/journal-frame.js';
import { fsError, missing } from '../durable.js';
import { fixedWidth } from '../layout.js';
import type { JournalFileSystem } from './types.js';

const SEGMENT = /^(\d{16})\.journal$/;

/**
 * One segment file of a key's journal, named after the first seq it was created for.
 *
 * @example
 * ```ts
 * const segment: Segment = { name: '0000000000000001.journal', firstSeq: 1 };
 * ```
 */
export interface Segment {
  readonly name: string;
  readonly firstSeq: number;
}

/**
 * The file name of a segment created for `firstSeq`.
 *
 * @example
 * ```ts
 * segmentName(1); // '0000000000000001.journal'
 * ```
 */
export const segmentName = (firstSeq: number): string => `${fixedWidth(firstSeq)}.journal`;

/**
 * The segments among a folder's names, by first seq.
 *
 * @example
 * ```ts
 * segmentsOf(['key', '0000000000000001.journal']); // [{ name: '0000000000000001.journal', firstSeq: 1 }]
 * ```
 */
export function segmentsOf(names: readonly string[]): Segment[] {
  const out: Segment[] = [];
  for (const name of names) {
    const match = SEGMENT.exec(name);
    if (match) out.push({ name, firstSeq: Number(match[1]) });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/**
 * A segment's bytes; `undefined` when another writer truncated it away since the listing.
 *
 * @example
 * ```ts
 * const bytes = await readSegment(fs, join(dir, segment.name), 'order-1');
 * ```
 */
export async function readSegment(fs: JournalFileSystem, path: string, key: string): Promise<Uint8Array | undefined> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    if (missing(error)) return undefined;
    throw fsError(error, key, 'read a journal segment');
  }
}

/**
 * Whether every entry of the segment at `path` is at or below `uptoSeq` (a missing one is).
 *
 * @example
 * ```ts
 * if (await coveredBy(fs, path, 'order-1', 30)) await fs.unlink(path);
 * ```
 */
export async function coveredBy(fs: JournalFileSystem, path: string, key: string, uptoSeq: number): Promise<boolean> {
  const bytes = await readSegment(fs, path, key);
  if (!bytes) return true;
  const scan = scanJournalFrames(bytes, uptoSeq);
  return scan.entries.length === 0 && scan.corrupt === undefined && scan.torn === undefined;
}

/**
 * What {@link scanAll} found: the entries after `afterSeq`, the last good
 * entry, and the segment it ended in with the offset after its last good
 * frame. With damage, `reason` says what, `later` the segments after the
 * damaged one and `torn` whether it is a harmless torn tail.
 *
 * @example
 * ```ts
 * const scan: SegmentsScan = await scanAll(fs, dir, key, segments, 0);
 * if (scan.reason !== undefined) console.log(scan.torn ? 'torn tail' : 'corrupt');
 * ```
 */
export interface SegmentsScan {
  readonly entries: JournalEntry[];
  readonly lastSeq: number;
  readonly lastEpoch: number;
  readonly segment: Segment | undefined;
  readonly end: number;
  readonly size: number;
  readonly later: readonly Segment[];
  readonly torn?: boolean;
  readonly reason?: string;
}

/**
 * Scans segments in order; stops at the first damage (with `cutAfter`, an
 * entry after that seq is damage too).
 *
 * @example
 * ```ts
 * const { entries } = await scanAll(fs, dir, 'order-1', segmentsOf(await readNames(fs, dir, 'order-1')), 0);
 * ```
 */
export async function scanAll(
  fs: JournalFileSystem,
  dir: string,
  key: string,
  segments: readonly Segment[],
  afterSeq: number,
  cutAfter?: number,
): Promise<SegmentsScan> {
  const entries: JournalEntry[] = [];
  let lastSeq = 0;
  let lastEpoch = 0;
  // Every segment is read: a fenced writer's leftover segment can carry a later name than the one the lock
  // holder still appends to, so a name says nothing about which entries a segment holds. Truncation removes
  // covered segments, so what is read past is small.
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const bytes = await readSegment(fs, join(dir, segment.name), key);
    if (!bytes) continue;
    // One list across segments: a new owner's frame can supersede an older segment's tail.
    const scan: FrameScan = scanJournalFrames(bytes, afterSeq, lastSeq, lastEpoch, entries, cutAfter);
    lastSeq = scan.lastSeq;
    lastEpoch = scan.lastEpoch;
    const damage = scan.torn ?? scan.corrupt;
    if (damage) {
      const later = segments.slice(i + 1);
      // Damage followed by more segments hides entries: never a harmless torn tail.
      const torn = scan.torn !== undefined && later.length === 0;
      return {
        entries,
        lastSeq,
        lastEpoch,
        segment,
        end: scan.end,
        size: bytes.length,
        later,
        torn,
        reason: damage.reason,
      };
    }
    if (i === segments.length - 1)
      return { entries, lastSeq, lastEpoch, segment, end: scan.end, size: bytes.length, later: [] };
  }
  return { entries, lastSeq, lastEpoch, segment: undefined, end: 0, size: 0, later: [] };
}
