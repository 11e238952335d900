import { CheckpointError, isCheckpointError, toCheckpointError } from './errors.js';
import type { RejectedGeneration, RestoreNewestOptions } from './restore.js';

// Storage failures say nothing about the data: restore never quarantines for them.
const STORAGE_FAILURES = ['io', 'connection', 'auth', 'driver-missing', 'permission', 'closed', 'timeout'];

/** What {@link rejectGeneration} adds to: the generations passed over so far, newest first. */
export interface Rejections {
  readonly rejected: RejectedGeneration[];
  readonly quarantined: number[];
}

/**
 * The restore loop's answer to generation `seq` failing with `caught` (loaded
 * only then): a storage failure or a version newer than the code is thrown
 * as it is; otherwise the generation is quarantined (unless `onRestoreError`
 * is `throw`; a read-only store keeps it listed) and listed as rejected.
 * Resolves with whether the loop goes on to the next older generation.
 *
 * @example
 * ```ts
 * import { rejectGeneration, type Rejections } from './restore-reject.js';
 * import type { RestoreNewestOptions } from './restore.js';
 * declare const options: RestoreNewestOptions<unknown>;
 * const so: Rejections = { rejected: [], quarantined: [] };
 * const next = await rejectGeneration(options, 7, new Error('bad'), so);
 * ```
 */
export async function rejectGeneration(
  o: RestoreNewestOptions<unknown>,
  seq: number,
  caught: unknown,
  so: Rejections,
): Promise<boolean> {
  const error = toCheckpointError(caught, 'decode', { key: o.key, adapter: o.adapter.name, seq });
  if (error.code === 'version-too-new' || STORAGE_FAILURES.includes(error.code)) throw error;
  let moved = false;
  let quarantineId: string | undefined;
  if (o.onRestoreError !== 'throw') {
    try {
      quarantineId = (await o.adapter.quarantine(o.key, seq, `${error.code}: ${error.message}`))?.id;
      moved = true;
      so.quarantined.push(seq);
      o.onQuarantine?.(seq, `${error.code}: ${error.message}`);
    } catch (qError) {
      // A read-only store still restores; the bad generation stays listed.
      if (!isCheckpointError(qError)) throw qError;
    }
  }
  so.rejected.push({
    seq,
    code: error.code,
    message: error.message,
    quarantined: moved,
    ...(typeof quarantineId === 'string' ? { quarantineId } : {}),
  });
  if (o.onRestoreError === 'throw') {
    throw new CheckpointError('restore-failed', {
      key: o.key,
      adapter: o.adapter.name,
      detail: so.rejected.map((r) => `generation ${r.seq}: ${r.code}`).join('; '),
      data: { rejected: so.rejected },
    });
  }
  return o.onRestoreError === 'fallback';
}
