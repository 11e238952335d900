import type { CheckpointRecord } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { NAME, type FileIo } from './context.js';
import type { FileSystemLike } from './file-system.js';
import { readNames } from './folders.js';
import { readHeader } from './generation-info.js';
import { generationSeqs } from './layout.js';
import { isFencedLeftover, lockEpoch, readFenceRule, type FenceRule } from './lock.js';
import { setAside } from './quarantine.js';

/**
 * The key's fence rule when a lock was ever taken on it (its `lock-<epoch>` file says which leftovers to skip).
 *
 * @example
 * ```ts
 * const rule = await fenceRule(fs, dir, 'order-1', names);
 * ```
 */
export const fenceRule = (
  fs: FileSystemLike,
  dir: string,
  key: string,
  names: readonly string[],
): Promise<FenceRule | undefined> =>
  lockEpoch(names) > 0 ? readFenceRule({ fs, dir, key }, names) : Promise.resolve(undefined);

/**
 * The `conflict` for a write at `record.seq`. When everything at or above it
 * is the leftover of a writer fenced by this writer's own lock, the
 * leftovers go to quarantine first and the error names the sequence to
 * write past them with (`data.nextSeq`); any other generation there is a
 * real conflict. `fenced` when the lock changed hands meanwhile.
 *
 * @example
 * ```ts
 * throw await conflictAt(io, fs, dir, 'order-1', record, 'generation 3 already exists');
 * ```
 */
export async function conflictAt(
  io: FileIo,
  fs: FileSystemLike,
  dir: string,
  key: string,
  record: CheckpointRecord,
  detail: string,
): Promise<CheckpointError> {
  const { seq, epoch } = record;
  const names = await readNames(fs, dir, key);
  const lock = lockEpoch(names);
  if (lock > epoch) {
    // Fenced while publishing: what is in the way is the new owner's, or set aside by it.
    detail = `the lock changed hands (epoch ${epoch} to ${lock}) while this write was being published`;
    return new CheckpointError('fenced', { key, adapter: NAME, seq, detail });
  }
  const rule = await fenceRule(fs, dir, key, names);
  const above = generationSeqs(names).filter((s) => s >= seq);
  const infos = rule?.epoch === epoch ? await Promise.all(above.map((s) => readHeader(fs, dir, key, s))) : [];
  const leftovers = infos.flatMap((info) => (info && isFencedLeftover(rule, info.seq, info.epoch) ? [info] : []));
  if (above.length === 0 || leftovers.length !== above.length) {
    return new CheckpointError('conflict', { key, adapter: NAME, seq, detail });
  }
  for (const info of leftovers) await setAside(io, fs, key, info.seq, info.epoch, rule!.epoch);
  const nextSeq = Math.max(...above) + 1;
  return new CheckpointError('conflict', {
    key,
    adapter: NAME,
    seq,
    detail: `generations ${above.join(', ')} of a fenced writer were set aside (quarantine); write again with seq ${nextSeq}`,
    data: { nextSeq, setAside: above },
  });
}
