import type { CheckpointAdapter, CheckpointRecord, GenerationInfo } from './adapter.js';
import type { Clock } from './clock.js';
import { sealEnvelope, type CompressOptions } from './compression.js';
import type { EnvelopeFields } from './envelope.js';
import { toCheckpointError, type CheckpointError } from './errors.js';
import { selectPrunable, type RetentionOptions } from './retention.js';

/** What {@link writeGeneration} needs: where to write, and how to number and make room. */
export interface GenerationWrite {
  readonly adapter: CheckpointAdapter;
  readonly key: string;
  readonly clock: Clock;
  /** The envelope fields besides `seq` and `createdAt`, which are set per attempt. */
  readonly fields: Omit<EnvelopeFields, 'seq' | 'createdAt'>;
  readonly payload: Uint8Array;
  /** The `compress` option: payloads at least this large are stored compressed. */
  readonly compress: boolean | CompressOptions | undefined;
  /** Hands out the next sequence, at least `atLeast` when given (past generations set aside). */
  claimSeq(atLeast?: number): number;
  /**
   * The key's generations as the writer knows them (newest first), updated in
   * place when `retain.onFull` drops some; `undefined` when not listed.
   */
  readonly known: GenerationInfo[] | undefined;
  readonly retain: RetentionOptions | undefined;
  /** Called with the sequences removed to make room (`retain.onFull: 'drop-oldest'`). */
  onDropped(removed: number[]): void;
  /** Failures to remove an old generation while making room. */
  onError(error: CheckpointError): void;
}

// A writer fenced mid-publish can leave at most one leftover per paused write;
// a few rounds are plenty, and a bound keeps a confused store from looping.
const MAX_SET_ASIDE_ROUNDS = 4;

/** `data.nextSeq` of a `conflict` whose generations were set aside as a fenced writer's leftovers. */
function seqPastLeftovers(error: CheckpointError, seq: number): number | undefined {
  if (error.code !== 'conflict' || !error.data || !Object.hasOwn(error.data, 'nextSeq')) return undefined;
  const next = error.data.nextSeq;
  return typeof next === 'number' && Number.isSafeInteger(next) && next > seq ? next : undefined;
}

/**
 * Writes one generation: envelope, `adapter.write`, nothing else deleted on
 * the way. The step snapshot mode and journal mode share.
 *
 * - A `conflict` whose `data.nextSeq` says the generations in the way were a
 *   fenced writer's leftovers (set aside by the adapter) is written past with
 *   that sequence, so a paused old writer never halts the lock holder.
 * - On `storage-full` nothing is deleted unless `retain.onFull` is
 *   `'drop-oldest'`: then the oldest known generation is removed and the
 *   write tried again, one generation at a time, never the newest (the newest
 *   durable state), until it fits or only the newest is left.
 *
 * Resolves with the record once the adapter acknowledged it as written.
 *
 * @example
 * ```ts
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { systemClock } from './clock.js';
 * import { writeGeneration } from './save.js';
 *
 * let next = 1;
 * const record = await writeGeneration({
 *   adapter: memoryAdapter(),
 *   key: 'order-1',
 *   clock: systemClock,
 *   fields: { machine: 'order', version: 1, epoch: 0, codec: 'json' },
 *   payload: new TextEncoder().encode('{}'),
 *   claimSeq: (atLeast = 0) => {
 *     next = Math.max(next, atLeast);
 *     return next++;
 *   },
 *   known: [],
 *   retain: undefined,
 *   onDropped: () => undefined,
 *   onError: console.error,
 * });
 * ```
 */
export async function writeGeneration(w: GenerationWrite): Promise<CheckpointRecord> {
  let record = await encodeRecord(w, w.claimSeq());
  let setAsideRounds = 0;
  for (;;) {
    try {
      await w.adapter.write(w.key, record);
      return record;
    } catch (caught) {
      const error = toCheckpointError(caught, 'io', { key: w.key, adapter: w.adapter.name });
      const past = seqPastLeftovers(error, record.seq);
      if (past !== undefined && setAsideRounds++ < MAX_SET_ASIDE_ROUNDS) {
        record = await encodeRecord(w, w.claimSeq(past));
        continue;
      }
      if (error.code === 'storage-full' && w.retain?.onFull === 'drop-oldest' && (await dropOldest(w))) continue;
      throw caught;
    }
  }
}

async function encodeRecord(w: GenerationWrite, seq: number): Promise<CheckpointRecord> {
  const createdAt = w.clock.now();
  const bytes = await sealEnvelope({ ...w.fields, seq, createdAt }, w.payload, w.compress);
  return { seq, epoch: w.fields.epoch, createdAt, byteLength: bytes.length, bytes };
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
