import type { CheckpointAdapter, GenerationInfo } from '../src/adapter.js';
import type { Codec } from '../src/codec/index.js';
import type { EnvelopeHeader } from '../src/envelope.js';
import { CheckpointError, toCheckpointError } from '../src/errors.js';
import { decodeCheckpoint, type DecodedCheckpoint } from '../src/restore.js';
import { checkAgainstMachine, type MachineModule } from './machine.js';

/**
 * Reads one generation and decodes it: envelope checksums, codec, the
 * checkpoint's shape, and the header's sequence against the stored one.
 * Throws `not-found` when it does not exist, else what restore would throw.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from '../src/codec/index.js';
 * import { readGeneration } from './generation.js';
 * import type { CheckpointAdapter } from '../src/adapter.js';
 * declare const adapter: CheckpointAdapter;
 * const { header, data } = await readGeneration(adapter, 'order-1', 3, [taggedJsonCodec]);
 * ```
 */
export async function readGeneration(
  adapter: CheckpointAdapter,
  key: string,
  seq: number,
  codecs: readonly Codec[],
): Promise<DecodedCheckpoint> {
  const bytes = await adapter.read(key, seq);
  if (bytes === undefined) throw new CheckpointError('not-found', { key, adapter: adapter.name, seq });
  try {
    return await decodeCheckpoint(bytes, codecs, undefined, seq);
  } catch (error) {
    throw toCheckpointError(error, 'decode', { key, adapter: adapter.name, seq });
  }
}

/** The outcome of checking one generation. */
export interface GenerationCheck {
  readonly key: string;
  readonly seq: number;
  readonly byteLength: number;
  readonly ok: boolean;
  readonly header?: EnvelopeHeader;
  /** Migration steps the running machine would apply (only with `--machine`). */
  readonly migrationsApplied?: number[];
  readonly code?: string;
  /** The error's specific detail (or its message when it has none). */
  readonly detail?: string;
}

/**
 * Checks one generation as restore would: {@link readGeneration}, then, with
 * a machine module, identity, migrations, validation and XState's own check.
 * Never throws for a bad generation; storage failures (`io`, `connection`,
 * ...) are thrown, since they say nothing about the data.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from '../src/codec/index.js';
 * import { checkGeneration } from './generation.js';
 * import type { CheckpointAdapter } from '../src/adapter.js';
 * declare const adapter: CheckpointAdapter;
 * const check = await checkGeneration(adapter, 'order-1', { seq: 3, epoch: 0, byteLength: 10, createdAt: 0 }, [taggedJsonCodec]);
 * ```
 */
export async function checkGeneration(
  adapter: CheckpointAdapter,
  key: string,
  info: GenerationInfo,
  codecs: readonly Codec[],
  machine?: MachineModule,
): Promise<GenerationCheck> {
  const base = { key, seq: info.seq, byteLength: info.byteLength };
  let header: EnvelopeHeader | undefined;
  try {
    const decoded = await readGeneration(adapter, key, info.seq, codecs);
    header = decoded.header;
    if (!machine) return { ...base, ok: true, header };
    const { migrationsApplied } = await checkAgainstMachine(decoded, machine);
    return { ...base, ok: true, header, migrationsApplied };
  } catch (caught) {
    const error = toCheckpointError(caught, 'decode', { key, adapter: adapter.name, seq: info.seq });
    if (['io', 'connection', 'permission', 'closed', 'timeout'].includes(error.code)) throw error;
    return {
      ...base,
      ok: false,
      ...(header ? { header } : {}),
      code: error.code,
      detail: problemText(error),
    };
  }
}

/** The specific part of an error for one-line reports: its path and detail, without the advice. */
export function problemText(error: CheckpointError): string {
  const path = error.path && error.path.length > 0 ? ` at ${error.path.map(String).join('.')}` : '';
  const detail = error.detail ?? (error.cause instanceof Error ? error.cause.message : undefined);
  return `${error.code}${path}${detail ? `: ${detail}` : ''}`;
}
