import type { CheckpointAdapter, GenerationInfo } from './adapter.js';
import { CheckpointError, toCheckpointError } from './errors.js';

/**
 * Which generations to keep. A generation survives when any rule keeps it;
 * the newest is always kept, and quarantined generations are never pruned.
 *
 * The calendar rules (`keepHourly`, `keepDaily`, `keepWeekly`) keep the newest
 * generation (highest `seq`) of each of the N most recent hours, days or weeks
 * that have one, by `createdAt` in UTC (or at `utcOffsetMinutes`); weeks start
 * on Monday. Periods without a generation do not count, so a pause in writes
 * does not empty the history, and periods are ranked by their newest `seq`, so
 * a clock that jumped does not hold a slot forever.
 */
export interface RetentionOptions {
  /** Keep this many newest generations (at least 1). @default 3 */
  readonly latest?: number;
  /**
   * Limits `latest`: a generation older than this (by the clock, in ms) is not
   * kept by `latest`. The calendar rules have their own reach.
   * @default no age limit
   */
  readonly maxAgeMs?: number;
  /** Keep the newest generation of each of the N most recent hours that have one. @default 0 */
  readonly keepHourly?: number;
  /** Keep the newest generation of each of the N most recent days that have one. @default 0 */
  readonly keepDaily?: number;
  /** Keep the newest generation of each of the N most recent weeks (Monday to Sunday) that have one. @default 0 */
  readonly keepWeekly?: number;
  /**
   * Where hours, days and weeks begin, in minutes east of UTC (`60` for
   * UTC+1). A fixed offset: it does not follow daylight saving time.
   * @default 0
   */
  readonly utcOffsetMinutes?: number;
  /**
   * What a save does when the store is full (`storage-full`). `'keep'`: it
   * fails and deletes nothing; every generation retention keeps stays, and the
   * save is retried with the next change or `flush()`. `'drop-oldest'`: it
   * deletes the oldest generation and tries again, one at a time, until the
   * new state fits; older history goes for the newest state, the newest
   * durable generation is never removed, and quarantine is never touched.
   * Each removal is reported as a `prune` event; if the save still fails with
   * only the newest generation left, the removed ones stay removed.
   * @default 'keep'
   */
  readonly onFull?: 'keep' | 'drop-oldest';
}

/** Why a generation is kept: the retention rules that keep it. */
export type RetentionRule = 'newest' | 'newest-valid' | 'latest' | 'hourly' | 'daily' | 'weekly';

/** A generation and the rules that keep it (empty: the next prune removes it). */
export interface RetainedGeneration extends GenerationInfo {
  readonly keptBy: readonly RetentionRule[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const periods = [
  ['hourly', 'keepHourly', (t: number) => Math.floor(t / HOUR)],
  ['daily', 'keepDaily', (t: number) => Math.floor(t / DAY)],
  // Day 0 (1970-01-01) was a Thursday: shifting by 3 days starts weeks on Monday.
  ['weekly', 'keepWeekly', (t: number) => Math.floor((Math.floor(t / DAY) + 3) / 7)],
] as const;

/**
 * Throws `invalid-option` for retention options the kit cannot use.
 *
 * @example
 * ```ts
 * import { checkRetention } from 'xstate-checkpoint';
 * checkRetention({ latest: 3, keepDaily: 7 }, 'order-1'); // fine
 * ```
 */
export function checkRetention(options: RetentionOptions | undefined, key?: string): void {
  if (options === undefined) return;
  const bad = (detail: string) => new CheckpointError('invalid-option', { key, detail });
  const count = (n: number) => n === Number.POSITIVE_INFINITY || Number.isInteger(n);
  if (options.latest !== undefined && !(count(options.latest) && options.latest >= 1)) {
    throw bad('`retain.latest` must be an integer of at least 1 (or Infinity)');
  }
  if (options.maxAgeMs !== undefined && !(options.maxAgeMs >= 0)) throw bad('`retain.maxAgeMs` must be >= 0');
  for (const [, name] of periods) {
    const n = options[name];
    if (n !== undefined && !(count(n) && n >= 0)) throw bad(`\`retain.${name}\` must be an integer >= 0 (or Infinity)`);
  }
  const offset = options.utcOffsetMinutes;
  if (offset !== undefined && !(Number.isInteger(offset) && Math.abs(offset) <= 14 * 60)) {
    throw bad('`retain.utcOffsetMinutes` must be an integer from -840 to 840');
  }
  const onFull: unknown = options.onFull;
  if (onFull !== undefined && onFull !== 'keep' && onFull !== 'drop-oldest') {
    throw bad(`\`retain.onFull\` must be 'keep' or 'drop-oldest', got ${JSON.stringify(onFull)}`);
  }
}

/**
 * Says for every generation which rules keep it (newest first). Pure: time is
 * `now` and each generation's `createdAt`; `keep` holds sequences that must
 * stay (the newest valid generation). A generation whose `createdAt` is not a
 * finite number is kept by no calendar rule.
 *
 * @example
 * ```ts
 * import { explainRetention } from 'xstate-checkpoint';
 * const day = 86_400_000;
 * const gens = [3, 2, 1].map((seq) => ({ seq, epoch: 0, byteLength: 1, createdAt: seq * day }));
 * explainRetention(gens, { latest: 1, keepDaily: 2 }, 3 * day).map((g) => g.keptBy);
 * // [['newest', 'latest', 'daily'], ['daily'], []]
 * ```
 */
export function explainRetention(
  generations: readonly GenerationInfo[],
  options: RetentionOptions,
  now: number,
  keep: ReadonlySet<number> = new Set(),
): RetainedGeneration[] {
  const latest = Math.max(1, options.latest ?? 3);
  const offset = (options.utcOffsetMinutes ?? 0) * 60_000;
  const sorted = [...generations].sort((a, b) => b.seq - a.seq);
  const rules = sorted.map((g, index): RetentionRule[] => {
    const out: RetentionRule[] = [];
    if (index === 0) out.push('newest');
    if (keep.has(g.seq)) out.push('newest-valid');
    const young = options.maxAgeMs === undefined || !(now - g.createdAt > options.maxAgeMs);
    if (index < latest && young) out.push('latest');
    return out;
  });
  for (const [rule, name, periodOf] of periods) {
    let left = options[name] ?? 0;
    const seen = new Set<number>();
    // Newest first: the first generation met in a period is its newest, and
    // periods are counted in the order their newest generations were written.
    for (let i = 0; i < sorted.length && left > 0; i++) {
      const t = sorted[i]!.createdAt;
      if (!Number.isFinite(t)) continue;
      const period = periodOf(t + offset);
      if (seen.has(period)) continue;
      seen.add(period);
      rules[i]!.push(rule);
      left--;
    }
  }
  return sorted.map((g, i) => ({ ...g, keptBy: rules[i]! }));
}

/**
 * Picks the generations retention may delete (those no rule of
 * {@link explainRetention} keeps), newest first. Never the newest one nor any
 * in `keep` (the newest valid generation). Pure; quarantined generations are
 * not listed here and are never pruned.
 *
 * @example
 * ```ts
 * import { selectPrunable } from 'xstate-checkpoint/pipeline';
 * const gens = [5, 4, 3, 2, 1].map((seq) => ({ seq, epoch: 0, byteLength: 1, createdAt: seq }));
 * selectPrunable(gens, { latest: 3 }, Date.now()); // [2, 1]
 * ```
 */
export function selectPrunable(
  generations: readonly GenerationInfo[],
  options: RetentionOptions,
  now: number,
  keep: ReadonlySet<number> = new Set(),
): number[] {
  return explainRetention(generations, options, now, keep)
    .filter((g) => g.keptBy.length === 0)
    .map((g) => g.seq);
}

/**
 * Removes what {@link selectPrunable} picks from `known` (the key's
 * generations as the writer knows them, updated in place). A generation that
 * cannot be removed is reported to `onError` and stays known, to be tried
 * again by the next prune. Returns the sequences removed.
 *
 * @example
 * ```ts
 * import { pruneGenerations } from 'xstate-checkpoint/pipeline';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const known = [{ seq: 1, epoch: 0, byteLength: 1, createdAt: 0 }];
 * await pruneGenerations(memoryAdapter(), 'k', known, { latest: 3 }, Date.now(), 1, console.error); // []
 * ```
 */
export async function pruneGenerations(
  adapter: CheckpointAdapter,
  key: string,
  known: GenerationInfo[],
  options: RetentionOptions,
  now: number,
  keep: number,
  onError: (error: CheckpointError) => void,
): Promise<number[]> {
  const removed: number[] = [];
  for (const seq of selectPrunable(known, options, now, new Set([keep]))) {
    try {
      await adapter.remove(key, seq);
      removed.push(seq);
    } catch (error) {
      onError(toCheckpointError(error, 'io', { key, adapter: adapter.name, seq }));
    }
  }
  for (let i = known.length - 1; i >= 0; i--) if (removed.includes(known[i]!.seq)) known.splice(i, 1);
  return removed;
}
