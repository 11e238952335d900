import { randomBytes } from 'node:crypto';
import type { CheckpointRecord } from '../../src/adapter.js';
import { checkRecord, refusedWrite } from '../shared/records.js';
import { run } from './client.js';
import { openKey, type RedisIo } from './context.js';
import { NAME } from './errors.js';
import { text } from './meta.js';
import { scripts } from './scripts.js';

/**
 * The adapter's `write`: one script that publishes `record` by
 * compare-and-set on the key's head (and announces it on the key's channel),
 * retried after a lost connection: the script recognises an earlier attempt
 * of this write by its token, or while in doubt by its bytes and epoch.
 * `conflict` or `fenced` when the head refused it.
 *
 * @example
 * ```ts
 * await writeGeneration(io, 'order-1', { seq: 3, epoch: 1, bytes, createdAt: Date.now() });
 * ```
 */
export async function writeGeneration(io: RedisIo, key: string, record: CheckpointRecord): Promise<void> {
  openKey(io, key);
  checkRecord(NAME, key, record);
  const { k, inDoubt } = io;
  const { seq, epoch, bytes } = record;
  const token = randomBytes(8).toString('hex');
  const meta = `${epoch}|${bytes.length}|${record.createdAt}|${token}`;
  const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const markLost = () => inDoubt.mark(key, seq);
  // Retrying is safe: the script recognises an earlier attempt of this write
  // (same token, or same bytes and epoch while in doubt) instead of conflicting.
  const reply = (await run(
    io,
    { key, seq },
    scripts.write,
    [k.head(key), k.gens(key), k.meta(key), k.bytes(key), k.keys, k.notices(key)],
    () => [seq, epoch, meta, payload, key, token, inDoubt.has(key, seq) ? '1' : '0'],
    true,
    markLost,
  )) as [Buffer, number, number];
  inDoubt.settle(key, seq);
  const outcome = text(reply[0]);
  if (outcome === 'ok') return;
  const [, headSeq, headEpoch] = reply;
  throw refusedWrite({ adapter: NAME, key, seq, epoch, headSeq, headEpoch });
}
