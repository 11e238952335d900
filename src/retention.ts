import type { CheckpointAdapter, GenerationInfo } from './adapter.js';
import { toCheckpointError, type CheckpointError } from './errors.js';

/** Which generations to keep. */
export interface RetentionOptions {
  /** Keep this many newest generations (at least 1). @default 3 */
  readonly latest?: number;
  /** Also drop generations older than this, in ms (the newest is always kept). @default no age limit */
  readonly maxAgeMs?: number;
}

/**
 * Picks the generations retention may delete: beyond the `latest` newest, or
 * older than `maxAgeMs`, never the newest one nor any in `keep` (the newest
 * valid generation). Pure; quarantined generations are not listed here and
 * are never pruned.
 *
 * @example
 * ```ts
 * import { selectPrunable } from 'xstate-checkpoint';
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
  const latest = Math.max(1, options.latest ?? 3);
  const sorted = [...generations].sort((a, b) => b.seq - a.seq);
  const out: number[] = [];
  sorted.forEach((g, index) => {
    if (index === 0 || keep.has(g.seq)) return;
    const tooMany = index >= latest;
    const tooOld = options.maxAgeMs !== undefined && now - g.createdAt > options.maxAgeMs;
    if (tooMany || tooOld) out.push(g.seq);
  });
  return out;
}

/**
 * Removes what {@link selectPrunable} picks from `known` (the key's
 * generations as the writer knows them, updated in place). A generation that
 * cannot be removed is reported to `onError` and stays known, to be tried
 * again by the next prune. Returns the sequences removed.
 *
 * @example
 * ```ts
 * import { pruneGenerations } from 'xstate-checkpoint';
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
