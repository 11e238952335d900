import type { AnyActorRef } from 'xstate';
import type { CheckpointAdapter, CheckpointRecord, GenerationInfo } from './adapter.js';
import { captureWith, type CheckpointData } from './capture.js';
import type { Clock } from './clock.js';
import type { Codec, DecodeLimits } from './codec/index.js';
import { checkWritable } from './codec/untrusted.js';
import { sealEnvelope, type CompressOptions } from './compression.js';
import type { EnvelopeFields } from './envelope.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import { onDemand, withParts } from './on-demand.js';
import { persistRefsOnDemand } from './ref-scan.js';
import type { RetentionOptions } from './retention-options.js';

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

// What retention drops is worked out after a write, and only when there may be something to drop.
const retention = /* @__PURE__ */ onDemand('the retention code', () => import('./retention.js'));

// What to do about a failed write loads with the first failure; if it cannot load, the failure stands.
const retrying = /* @__PURE__ */ onDemand('the write retry code', () => import('./save-retry.js'));

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
  const encodeAt = (seq: number) => encodeRecord(w, seq);
  let record = await encodeAt(w.claimSeq());
  const state = { setAsideRounds: 0 };
  for (;;) {
    try {
      await w.adapter.write(w.key, record);
      return record;
    } catch (caught) {
      const error = toCheckpointError(caught, 'io', { key: w.key, adapter: w.adapter.name });
      // Only these two can be retried; any other failure is reported at once, with no code to load.
      const retriable =
        (error.code === 'conflict' && error.data !== undefined && Object.hasOwn(error.data, 'nextSeq')) ||
        (error.code === 'storage-full' && w.retain?.onFull === 'drop-oldest');
      const retry = retriable ? await retrying.load().catch(() => undefined) : undefined;
      const next = await retry?.retryAfter(w, caught, record, state, encodeAt);
      if (next === undefined) throw caught;
      record = next;
    }
  }
}

async function encodeRecord(w: GenerationWrite, seq: number): Promise<CheckpointRecord> {
  const createdAt = w.clock.now();
  // New keys before the spread: after it, each costs ~0.3 µs on Node 20 (see restoreRequest).
  const bytes = await sealEnvelope({ seq, createdAt, ...w.fields }, w.payload, w.compress);
  return { seq, epoch: w.fields.epoch, createdAt, byteLength: bytes.length, bytes };
}

/** What a {@link GenerationWriter} is set up with: the parts of the options that shape every generation. */
export interface GenerationWriterOptions {
  readonly adapter: CheckpointAdapter;
  readonly key: string;
  readonly clock: Clock;
  readonly codec: Codec;
  readonly limits: DecodeLimits | undefined;
  /** The machine id and version stored in every header. */
  readonly machine: string;
  readonly version: number;
  readonly compress: boolean | CompressOptions | undefined;
  readonly retain: RetentionOptions;
  /** Sequences removed by retention or to make room. */
  onPruned(removed: number[]): void;
  /** Failures to remove an old generation (the write itself went through). */
  onError(error: CheckpointError): void;
}

/** Where a writer's numbering starts: what restore found. */
export interface WriterStart {
  /** The next sequence to claim (the newest seen, quarantined ones included, plus 1). */
  readonly nextSeq: number;
  /** The fencing epoch (the lease's, else the newest stored one). */
  readonly epoch: number;
  /** The key's generations, newest first; `undefined` lists them on the first write. */
  readonly known: GenerationInfo[] | undefined;
}

/**
 * One writer's session on a key, shared by snapshot mode and journal mode:
 * captures and encodes the actor, writes each generation with
 * {@link writeGeneration} (numbering, epoch, header fields) and prunes what
 * retention drops, keeping the list of the key's generations it knows.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { systemClock } from './clock.js';
 * import { taggedJsonCodec } from './codec/index.js';
 * import { GenerationWriter } from './save.js';
 *
 * const actor = createActor(createMachine({ id: 'm' })).start();
 * const writer = new GenerationWriter(
 *   { adapter: memoryAdapter(), key: 'k', clock: systemClock, codec: taggedJsonCodec, limits: undefined,
 *     machine: 'm', version: 1, compress: false, retain: {}, onPruned: () => undefined, onError: console.error },
 *   { nextSeq: 1, epoch: 0, known: [] },
 * );
 * const record = await writer.write(writer.encode(writer.capture(actor)));
 * await writer.prune(record.seq);
 * ```
 */
export class GenerationWriter {
  private nextSeq: number;
  /** The fencing epoch every generation of this session carries. */
  readonly epoch: number;
  /** Generations this writer knows of, newest first (`undefined`: listed on the next write). */
  known: GenerationInfo[] | undefined;

  constructor(
    private readonly o: GenerationWriterOptions,
    start: WriterStart,
  ) {
    this.nextSeq = start.nextSeq;
    this.epoch = start.epoch;
    this.known = start.known;
  }

  /** The actor's checkpoint data; throws `closed` when it was stopped (a stopped snapshot is never written). */
  capture(actor: AnyActorRef): CheckpointData {
    if ((actor.getSnapshot() as { status?: string }).status === 'stopped') {
      throw new CheckpointError('closed', {
        key: this.o.key,
        detail: 'the actor was stopped; a stopped snapshot is never written',
      });
    }
    return captureWith(actor, persistRefsOnDemand);
  }

  /** The codec's bytes of `data`, refused when the reader's limits would refuse them. */
  encode(data: CheckpointData): Uint8Array {
    const payload = this.o.codec.encode(data, this.o.limits);
    checkWritable(this.o.codec, payload, this.o.limits);
    return payload;
  }

  /**
   * {@link capture} and {@link encode} as one step for the async save path:
   * when the state needs a part of the kit loaded on demand (the codec's rich
   * values, actor references), it is loaded and the actor captured again, so
   * the bytes are one state of it. Rejects with `io` when that part cannot load.
   */
  snapshot(actor: AnyActorRef): Promise<Uint8Array> {
    return withParts(() => this.encode(this.capture(actor)));
  }

  /** Writes `payload` as the next generation; `journal` is the journal position it covers (journal mode). */
  async write(payload: Uint8Array, journal?: number): Promise<CheckpointRecord> {
    const o = this.o;
    this.known ??= await o.adapter.list(o.key).then(
      (list) => list.slice(),
      () => undefined, // listed again on the next write; pruning waits until then
    );
    const record = await writeGeneration({
      adapter: o.adapter,
      key: o.key,
      clock: o.clock,
      fields: {
        machine: o.machine,
        version: o.version,
        epoch: this.epoch,
        codec: o.codec.id,
        ...(journal === undefined ? {} : { journal }),
      },
      payload,
      compress: o.compress,
      // Claimed before each attempt: a failed write's sequence is never reused.
      claimSeq: (atLeast = 0) => {
        this.nextSeq = Math.max(this.nextSeq, atLeast);
        return this.nextSeq++;
      },
      known: this.known,
      retain: o.retain,
      onDropped: (removed) => o.onPruned(removed),
      onError: o.onError,
    });
    this.known?.unshift({
      seq: record.seq,
      epoch: this.epoch,
      createdAt: record.createdAt,
      byteLength: record.byteLength,
    });
    return record;
  }

  /**
   * Removes what `retain` drops, never `keep` (the generation just written).
   * The retention code loads only when there may be something to drop (more
   * generations than `latest`, or a `maxAgeMs`); when it cannot load, that is
   * reported to `failed` and the next prune tries again.
   */
  async prune(keep: number, retain = this.o.retain, failed = this.o.onError): Promise<void> {
    const o = this.o;
    const known = this.known;
    if (!known || (retain.maxAgeMs === undefined && known.length <= Math.max(1, retain.latest ?? 3))) return;
    let prune: typeof import('./retention.js').pruneGenerations;
    try {
      prune = (await retention.load()).pruneGenerations;
    } catch (error) {
      return failed(toCheckpointError(error, 'io', { key: o.key, adapter: o.adapter.name }));
    }
    const removed = await prune(o.adapter, o.key, known, retain, o.clock.now(), keep, failed);
    if (removed.length > 0) o.onPruned(removed);
  }
}
