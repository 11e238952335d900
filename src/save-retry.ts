import type { CheckpointRecord } from './adapter.js';
import { toCheckpointError, type CheckpointError } from './errors.js';
import { selectPrunable } from './retention.js';
import type { GenerationWrite } from './save.js';

// What writeGeneration does after a failed write, loaded with the first failure (save.ts).

// A writer fenced mid-publish can leave at most one leftover per paused write;
// a few rounds are plenty, and a bound keeps a confused store from looping.
const MAX_SET_ASIDE_ROUNDS = 4;

/** `data.nextSeq` of a `conflict` whose generations were set aside as a fenced writer's leftovers. */
function seqPastLeftovers(error: CheckpointError, seq: number): number | undefined {
  if (error.code !== 'conflict' || !error.data || !Object.hasOwn(error.data, 'nextSeq')) return undefined;
  const next = error.data.nextSeq;
  return typeof next === 'number' && Number.isSafeInteger(next) && next > seq ? next : undefined;
}

/** How many times a write went past a fenced writer's leftovers (see {@link retryAfter}). */
export interface RetryState {
  setAsideRounds: number;
}

/**
 * The record to write next after `record` failed with `caught`, or
 * `undefined` when the failure stands (see `writeGeneration`): past a fenced
 * writer's leftovers with the sequence the `conflict` names (`encodeAt`
 * envelopes it), or the same record once `retain.onFull: 'drop-oldest'` made
 * room on `storage-full`.
 *
 * @example
 * ```ts
 * import { retryAfter } from './save-retry.js';
 * import type { GenerationWrite } from './save.js';
 * import type { CheckpointRecord } from './adapter.js';
 * declare const w: GenerationWrite;
 * declare const record: CheckpointRecord;
 * const next = await retryAfter(w, new Error('EIO'), record, { setAsideRounds: 0 }, async () => record); // undefined
 * ```
 */
export async function retryAfter(
  w: GenerationWrite,
  caught: unknown,
  record: CheckpointRecord,
  state: RetryState,
  encodeAt: (seq: number) => Promise<CheckpointRecord>,
): Promise<CheckpointRecord | undefined> {
  const error = toCheckpointError(caught, 'io', { key: w.key, adapter: w.adapter.name });
  const past = seqPastLeftovers(error, record.seq);
  if (past !== undefined && state.setAsideRounds++ < MAX_SET_ASIDE_ROUNDS) return encodeAt(w.claimSeq(past));
  if (error.code === 'storage-full' && w.retain?.onFull === 'drop-oldest' && (await dropOldest(w))) return record;
  return undefined;
}

/** Removes the oldest known generation except the newest; false when there is nothing left to remove. */
async function dropOldest(w: GenerationWrite): Promise<boolean> {
  const known = w.known;
  if (!known || known.length < 2) return false;
  // Same choice as retention with room for one: everything but the newest, oldest first.
  const candidates = selectPrunable(known, { latest: 1 }, w.clock.now());
  const oldest = candidates[candidates.length - 1];
  if (oldest === undefined) return false;
  try {
    await w.adapter.remove(w.key, oldest);
  } catch (error) {
    w.onError(toCheckpointError(error, 'io', { key: w.key, adapter: w.adapter.name, seq: oldest }));
    return false;
  }
  known.splice(
    known.findIndex((g) => g.seq === oldest),
    1,
  );
  w.onDropped([oldest]);
  return true;
}
