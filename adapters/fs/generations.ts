import { join } from 'node:path';
import type { CheckpointAdapter, NewestRead } from '../../src/adapter.js';
import { isCheckpointError, type CheckpointError } from '../../src/errors.js';
import { fenceRule } from './conflict.js';
import { NAME, keyDir, use, type FileIo } from './context.js';
import { readGeneration, syncCalls } from './default-fs.js';
import { fsError, missing } from './durable.js';
import { keyFolders, quarantined, readNames } from './folders.js';
import { generationEpoch, readInfo } from './generation-info.js';
import {
  HEADER_SIZE,
  QUARANTINE_DIR,
  decodeGenerationHeader,
  envelopeBytesOf,
  generationName,
  generationSeqs,
} from './layout.js';
import { isFencedLeftover } from './lock.js';
import { readManyInSlices, readNewestCommon } from './read-many.js';
import { writeGeneration } from './write.js';

/**
 * The adapter's generations: `list`, `readNewest`, `read`, `keys`, `write`
 * ({@link writeGeneration}) and `remove`. The leftovers of a fenced writer
 * are never listed nor read as the newest (their seqs stay taken, like
 * quarantined ones); a generation with a damaged header is listed with
 * stand-in values, so restore checks and quarantines it.
 *
 * @example
 * ```ts
 * const { list, readNewest } = generationMethods(io);
 * const [newest] = await list('order-1');
 * ```
 */
export function generationMethods(
  io: FileIo,
): Pick<CheckpointAdapter, 'list' | 'readNewest' | 'read' | 'write' | 'remove' | 'keys'> {
  return {
    async list(key) {
      const fs = await use(io, key);
      const dir = keyDir(io, key);
      const names = await readNames(fs, dir, key);
      const seqs = generationSeqs(names);
      const [rule, found] = await Promise.all([
        fenceRule(fs, dir, key, names),
        Promise.all(seqs.map((seq) => readInfo(fs, join(dir, generationName(seq)), seq, key))),
      ]);
      return found.flatMap((f) =>
        f && !(f.valid && isFencedLeftover(rule, f.info.seq, f.info.epoch)) ? [f.info] : [],
      );
    },
    readNewest: (key) => readNewest(io, key),
    async read(key, seq) {
      const fs = await use(io, key);
      if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
      try {
        return envelopeBytesOf(await readGeneration(fs, keyDir(io, key), seq));
      } catch (error) {
        if (missing(error)) return undefined;
        throw fsError(error, key, 'read a generation', seq);
      }
    },
    write: (key, record) => writeGeneration(io, key, record),
    async remove(key, seq) {
      const fs = await use(io, key);
      if (!Number.isSafeInteger(seq) || seq < 1) return;
      await fs.unlink(join(keyDir(io, key), generationName(seq))).catch((error: unknown) => {
        if (!missing(error)) throw fsError(error, key, 'remove a generation', seq);
      });
    },
    async keys() {
      const fs = await use(io);
      return (await keyFolders(io, fs)).filter((f) => generationSeqs(f.names).length > 0).map((f) => f.key);
    },
  };
}

const isDamage = (error: unknown) =>
  isCheckpointError(error) && (error.code === 'corrupt' || error.code === 'too-large');

async function readNewest(io: FileIo, key: string): Promise<NewestRead> {
  const fs = await use(io, key);
  const dir = keyDir(io, key);
  const names = await readNames(fs, dir, key);
  let seqs = generationSeqs(names);
  const qseqs = names.includes(QUARANTINE_DIR) ? (await quarantined(fs, dir, key)).map((q) => q.seq) : [];
  const rule = await fenceRule(fs, dir, key, names);
  for (const seq of seqs) {
    let file: Uint8Array;
    try {
      file = await readGeneration(fs, dir, seq);
    } catch (error) {
      if (missing(error)) continue; // removed since the folder was read
      // Not a file, or too large to be one: damage of this generation, which restore's
      // own read of it meets again and quarantines; the older ones stay readable.
      if (isDamage(error))
        return { seqs, quarantinedSeq: Math.max(0, ...qseqs), epoch: await generationEpoch(fs, dir, key, names) };
      throw fsError(error, key, 'read a generation', seq);
    }
    const header = decodeGenerationHeader(file.subarray(0, HEADER_SIZE), seq);
    if (header && isFencedLeftover(rule, seq, header.epoch)) {
      // Set aside, never restored; its sequence stays taken like a quarantined one.
      qseqs.push(seq);
      seqs = seqs.filter((s) => s !== seq);
      continue;
    }
    const epoch = header ? header.epoch : await generationEpoch(fs, dir, key, names);
    return { seqs, quarantinedSeq: Math.max(0, ...qseqs), epoch, newest: { seq, bytes: envelopeBytesOf(file) } };
  }
  return { seqs: [], quarantinedSeq: Math.max(0, ...qseqs), epoch: 0 };
}

/**
 * The adapter's `readNewestMany`: with the default file system, each key's
 * common case is read with synchronous calls in slices that let timers in
 * ({@link readManyInSlices}); anything else, and every key on an injected
 * file system, goes through `readNewest`.
 *
 * @example
 * ```ts
 * const reads = await readNewestMany(io, ['a', 'b'], (key) => adapter.readNewest!(key));
 * ```
 */
export async function readNewestMany(
  io: FileIo,
  keys: readonly string[],
  readNewest: (key: string) => Promise<NewestRead>,
): Promise<Array<NewestRead | CheckpointError>> {
  const fs = await use(io);
  const sync = fs[syncCalls];
  const common =
    sync &&
    ((key: string) => {
      const dir = keyDir(io, key);
      return readNewestCommon(sync, { dir, generationPath: (seq) => join(dir, generationName(seq)) });
    });
  return readManyInSlices({ clock: io.clock, name: NAME, common, readNewest }, keys);
}
