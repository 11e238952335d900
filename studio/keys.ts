import type { CheckpointAdapter, GenerationInfo } from '../src/adapter.js';
import type { Codec } from '../src/codec/index.js';
import { toCheckpointError } from '../src/errors.js';
import { decodeCheckpoint } from '../src/restore.js';
import { formatStateValue } from '../cli/output.js';

/** One row of the key list. */
export interface KeyRow {
  readonly key: string;
  readonly generations: number;
  readonly quarantined: number;
  /** The newest generation, with its state value when it decodes (else the error's code). */
  readonly newest?: GenerationInfo & { readonly state?: string; readonly problem?: string };
}

/** One page of the key list. */
export interface KeyPage {
  /** Keys matching the search, over all pages. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly rows: KeyRow[];
}

/** Options of {@link KeyIndex}. */
export interface KeyIndexOptions {
  readonly adapter: CheckpointAdapter;
  readonly codecs: readonly Codec[];
  readonly now: () => number;
  /** How long one listing of every key is reused before the next page asks again. @default 2000 */
  readonly refreshMs?: number;
}

/** The most rows one page returns, whatever was asked. */
export const MAX_PAGE = 200;

/**
 * Rows read and decoded at once. Each decodes its key's newest generation, up
 * to the decode caps (64 MiB, and a gzip payload of a few KB can inflate to
 * that): 200 at once could hold gigabytes. Node reads files on 4 threads, so
 * more at once would not be faster.
 */
export const ROW_READS = 6;

/** `map` with at most `width` calls of `fn` running at once; results in input order. */
async function inTurns<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return out;
}

/**
 * The key list, paged: the names of every key are listed once and reused
 * for `refreshMs`; a page then lists and reads only its own rows (their
 * generations, quarantined ones and the newest's state value), so 10,000 keys
 * cost one listing plus a page of reads.
 *
 * @example
 * ```ts
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { taggedJsonCodec } from '../src/codec/index.js';
 * import { KeyIndex } from './keys.js';
 * const index = new KeyIndex({ adapter: memoryAdapter(), codecs: [taggedJsonCodec], now: Date.now });
 * const { total, rows } = await index.page({ offset: 0, limit: 50, search: 'order-' });
 * ```
 */
export class KeyIndex {
  private listed: { at: number; keys: string[] } | undefined;
  private quarantineOnly = new Set<string>();
  private scanning = false;
  private scannedAt = -Infinity;
  private pending: Promise<NonNullable<KeyIndex['listed']>> | undefined;

  constructor(private readonly options: KeyIndexOptions) {}

  /** Forgets the cached listing (a write or notice changed the store). */
  invalidate(): void {
    this.listed = undefined;
  }

  /** How many keys there are now (from the cached listing when fresh). */
  async count(): Promise<number> {
    return (await this.all()).keys.length;
  }

  /** Keys containing `search` (case-insensitive), sorted, from `offset`, at most `limit` (capped at {@link MAX_PAGE}). */
  async page(request: { offset: number; limit: number; search: string }): Promise<KeyPage> {
    const { keys } = await this.all();
    const needle = request.search.toLowerCase();
    const matching = needle === '' ? keys : keys.filter((k) => k.toLowerCase().includes(needle));
    const limit = Math.min(Math.max(1, request.limit), MAX_PAGE);
    const offset = Math.min(Math.max(0, request.offset), Math.max(0, matching.length - 1));
    const slice = matching.slice(offset, offset + limit);
    const rows = await inTurns(slice, ROW_READS, (key) => this.row(key));
    return { total: matching.length, offset, limit, rows };
  }

  private async all(): Promise<NonNullable<KeyIndex['listed']>> {
    const fresh = this.listed && this.options.now() - this.listed.at < (this.options.refreshMs ?? 2000);
    if (fresh) return this.listed!;
    // Concurrent pages share one listing instead of each walking the whole store.
    this.pending ??= (async () => {
      try {
        const keys = await this.options.adapter.keys();
        const names = new Set(keys);
        for (const key of this.quarantineOnly) names.add(key);
        this.listed = { at: this.options.now(), keys: [...names].sort() };
        this.findQuarantineOnly();
        return this.listed;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /**
   * Keys with quarantined generations and no live one are found by a listing
   * of every quarantine, which walks the whole store a second time: it runs
   * after the page is answered (at most every 30 s), and its keys join the
   * next listing.
   */
  private findQuarantineOnly(): void {
    const now = this.options.now();
    if (this.scanning || now - this.scannedAt < 30_000) return;
    this.scanning = true;
    this.scannedAt = now;
    this.options.adapter.listQuarantine().then(
      (entries) => {
        this.scanning = false;
        const before = this.quarantineOnly.size;
        this.quarantineOnly = new Set(entries.map((q) => q.key));
        const missing = [...this.quarantineOnly].some((k) => !this.listed?.keys.includes(k));
        if (missing || before !== this.quarantineOnly.size) this.invalidate();
      },
      () => {
        this.scanning = false;
      },
    );
  }

  private async row(key: string): Promise<KeyRow> {
    const { adapter } = this.options;
    const [generations, q] = await Promise.all([adapter.list(key), adapter.listQuarantine(key)]);
    const quarantined = q.length;
    const newest = generations[0];
    if (!newest) return { key, generations: 0, quarantined };
    return {
      key,
      generations: generations.length,
      quarantined,
      newest: { ...newest, ...(await this.state(key, newest.seq)) },
    };
  }

  private async state(key: string, seq: number): Promise<{ state?: string; problem?: string }> {
    const { adapter, codecs } = this.options;
    try {
      const bytes = await adapter.read(key, seq);
      if (bytes === undefined) return { problem: 'not-found' };
      const decoded = await decodeCheckpoint(bytes, codecs, undefined, seq);
      const value = (decoded.data.snapshot as { value?: unknown }).value;
      return value === undefined ? {} : { state: formatStateValue(value) };
    } catch (error) {
      return { problem: toCheckpointError(error, 'decode').code };
    }
  }
}
