import { join } from 'node:path';
import type { CheckpointRecord } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { conflictAt } from './conflict.js';
import { NAME, use, type FileIo } from './context.js';
import { publishFile } from './durable.js';
import { quarantined, readNames } from './folders.js';
import { generationEpoch } from './generation-info.js';
import { ensureKeyDir } from './key-folder.js';
import { QUARANTINE_DIR, generationHeader, generationName, generationSeqs } from './layout.js';
import { confirmNotFenced, lockEpoch } from './lock.js';

const checkRecordNumbers = (key: string, seq: number, epoch: number) => {
  if (Number.isSafeInteger(seq) && seq > 0 && Number.isSafeInteger(epoch) && epoch >= 0) return;
  throw new CheckpointError('invalid-option', {
    key,
    adapter: NAME,
    detail: `seq must be a positive integer and epoch a non-negative integer (got ${seq} and ${epoch})`,
  });
};

/**
 * The adapter's `write`: refuses a seq at or below the newest (quarantined
 * ones count) with `conflict` and an epoch below the key's with `fenced`,
 * publishes the generation file durably (`conflict` when another writer
 * published that seq first), then checks again that the lock did not change
 * hands meanwhile.
 *
 * @example
 * ```ts
 * await writeGeneration(io, 'order-1', { seq: 3, epoch: 1, bytes, createdAt: Date.now() });
 * ```
 */
export async function writeGeneration(io: FileIo, key: string, record: CheckpointRecord): Promise<void> {
  const fs = await use(io, key);
  const { seq, epoch } = record;
  checkRecordNumbers(key, seq, epoch);
  const dir = await ensureKeyDir(io, fs, key);
  const names = await readNames(fs, dir, key);
  let newest = generationSeqs(names)[0] ?? 0;
  // Quarantined sequences stay taken, so a new generation never shadows one under inspection.
  if (names.includes(QUARANTINE_DIR)) for (const q of await quarantined(fs, dir, key)) newest = Math.max(newest, q.seq);
  if (seq <= newest) throw await conflictAt(io, fs, dir, key, record, `generation ${newest} already exists`);
  const current = Math.max(lockEpoch(names), await generationEpoch(fs, dir, key, names));
  if (epoch < current) {
    const detail = `epoch ${epoch} is older than the key's epoch ${current}`;
    throw new CheckpointError('fenced', { key, adapter: NAME, seq, detail });
  }
  const target = join(dir, generationName(seq));
  if (!(await publishFile(fs, io.publishState, dir, target, [generationHeader(record), record.bytes], key, seq))) {
    throw await conflictAt(io, fs, dir, key, record, `another writer published generation ${seq} first`);
  }
  await confirmNotFenced({ fs, dir, key }, epoch, seq);
}
