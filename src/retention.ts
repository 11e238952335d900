import type { CheckpointAdapter, GenerationInfo } from './adapter.js';
import { toCheckpointError, type CheckpointError } from './errors.js';
import type { RetentionOptions } from './retention-options.js';

export { checkRetention, type RetentionOptions } from './retention-options.js';

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
 * generations as the writer knows them, updated in place), never one newer
 * than `keep` (the writer's newest: a newer one is another writer's). A generation that
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
  // Generations newer than `keep` (this writer's newest) are another writer's: a stale writer
  // that lists after a takeover must not prune the new owner's history by its own policy.
  const mine = known.filter((g) => g.seq <= keep);
  for (const seq of selectPrunable(mine, options, now, new Set([keep]))) {
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
