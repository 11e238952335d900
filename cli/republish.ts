import type { CheckpointAdapter, Lease } from '../src/adapter.js';
import { taggedJsonCodec } from '../src/codec/index.js';
import { encodeEnvelope, openEnvelope, type OpenedEnvelope } from '../src/envelope.js';
import { CheckpointError, toCheckpointError } from '../src/errors.js';
import { decodeCheckpoint } from '../src/restore.js';
import { problemText } from './generation.js';
import { checkAgainstMachine, type MachineModule } from './machine.js';

/**
 * Verifies stored bytes as an envelope (checksums), or throws `corrupt`
 * saying they cannot be written back as they are.
 */
export function openForRepublish(bytes: Uint8Array, key: string, adapter: string, what: string): OpenedEnvelope {
  try {
    return openEnvelope(bytes);
  } catch (error) {
    throw new CheckpointError('corrupt', {
      key,
      adapter,
      cause: error,
      detail: `${what} fails its own checks (${problemText(toCheckpointError(error, 'corrupt'))}); it cannot be written back as it is`,
    });
  }
}

/** The error a restore would still refuse these bytes with (decoding; with a machine module, migration and validation), if any. */
export async function stillFails(
  bytes: Uint8Array,
  machine: MachineModule | undefined,
): Promise<CheckpointError | undefined> {
  try {
    const decoded = await decodeCheckpoint(bytes, machine?.codecs ?? [taggedJsonCodec]);
    if (machine) await checkAgainstMachine(decoded, machine);
    return undefined;
  } catch (error) {
    return toCheckpointError(error, 'decode');
  }
}

/**
 * Writes an envelope's payload back as a new generation of `key`: the next
 * sequence (above every live and quarantined one), the key's current epoch or
 * a lease's when the adapter has locks (a live owner makes this fail with
 * `lock-held`: stop it first), the current time. Never overwrites anything.
 *
 * @example
 * ```ts
 * import { openEnvelope } from '../src/envelope.js';
 * import type { CheckpointAdapter } from '../src/adapter.js';
 * import { republish } from './republish.js';
 * declare const adapter: CheckpointAdapter;
 * declare const bytes: Uint8Array;
 * const { seq } = await republish(adapter, 'order-1', openEnvelope(bytes), Date.now());
 * ```
 */
export async function republish(
  adapter: CheckpointAdapter,
  key: string,
  opened: OpenedEnvelope,
  createdAt: number,
): Promise<{ seq: number; epoch: number }> {
  let lease: Lease | undefined;
  try {
    lease = adapter.acquire ? await adapter.acquire(key) : undefined;
    const generations = await adapter.list(key);
    const quarantined = await adapter.listQuarantine(key);
    const seq = Math.max(0, ...generations.map((g) => g.seq), ...quarantined.map((q) => q.seq)) + 1;
    const epoch = lease?.epoch ?? Math.max(0, ...generations.map((g) => g.epoch));
    const h = opened.header;
    const bytes = encodeEnvelope(
      // A compressed payload stays compressed: its header fields go along.
      {
        machine: h.machine,
        version: h.version,
        seq,
        epoch,
        createdAt,
        codec: h.codec,
        compression: h.compression,
        rawLength: h.rawLength,
      },
      opened.payload,
    );
    await adapter.write(key, { seq, epoch, createdAt, byteLength: bytes.length, bytes });
    return { seq, epoch };
  } finally {
    await lease?.release().catch(() => undefined);
  }
}
