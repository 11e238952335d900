import { CheckpointError, isCheckpointError } from './errors.js';
import type { RejectedGeneration, RestoreNewestOptions } from './restore.js';

/** What {@link rejectGeneration} adds to: the generations passed over so far, newest first. */
export interface Rejections {
  readonly rejected: RejectedGeneration[];
  readonly quarantined: number[];
}

/**
 * The restore loop's answer to a generation that failed with `error` (its
 * `seq` set; storage failures and a version newer than the code were thrown
 * before, loaded only then): it is quarantined (unless `onRestoreError` is
 * `throw`; a read-only store keeps it listed) and listed as rejected.
 * Resolves with whether the loop goes on to the next older generation.
 *
 * @example
 * ```ts
 * import { CheckpointError } from './errors.js';
 * import { rejectGeneration, type Rejections } from './restore-reject.js';
 * import type { RestoreNewestOptions } from './restore.js';
 * declare const options: RestoreNewestOptions<unknown>;
 * const so: Rejections = { rejected: [], quarantined: [] };
 * const next = await rejectGeneration(options, new CheckpointError('corrupt', { seq: 7 }), so);
 * ```
 */
export async function rejectGeneration(
  o: RestoreNewestOptions<unknown>,
  error: CheckpointError,
  so: Rejections,
): Promise<boolean> {
  const seq = error.seq!;
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
