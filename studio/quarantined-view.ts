// What the page shows of one quarantined generation: its contents when they still decode, else why not and its first bytes.
import type { CheckpointAdapter, QuarantineInfo } from '../src/adapter.js';
import type { Codec } from '../src/codec/index.js';
import { CheckpointError, toCheckpointError } from '../src/errors.js';
import { decodeCheckpoint } from '../src/restore.js';
import { problemText } from '../cli/generation.js';
import type { MachineModule } from '../cli/machine.js';
import { generationView, type GenerationView } from './generation-view.js';

/** Bytes of a quarantined generation shown as text and as hex when it does not decode. */
const PREVIEW_BYTES = 2048;
const HEX_BYTES = 64;

/** `/api/quarantined`: one quarantined generation. */
export interface QuarantinedView {
  readonly key: string;
  readonly info: QuarantineInfo;
  /** The stored bytes' length (what the store holds, not what the index says). */
  readonly byteLength: number;
  /** Its contents, when the bytes still decode (it was set aside for a migration or validation failure). */
  readonly generation?: GenerationView;
  /** Why the bytes do not decode now, when they do not. */
  readonly problem?: { readonly code: string; readonly detail: string };
  /** The first bytes as UTF-8 (invalid sequences as U+FFFD), when they do not decode. */
  readonly text?: string;
  /** The first bytes in hex, when they do not decode. */
  readonly hex?: string;
}

/**
 * Reads a quarantined generation and builds its view: decoded as the studio
 * decodes a live one when its bytes still pass the envelope and the codec,
 * else the reason and a bounded preview of the bytes (2 KB of text, 64 bytes
 * of hex), so a damaged or hostile generation can be looked at without being
 * restored. Throws `not-found` for an unknown id.
 *
 * @example
 * ```ts
 * import type { CheckpointAdapter } from '../src/adapter.js';
 * import { taggedJsonCodec } from '../src/codec/index.js';
 * import { quarantinedView } from './quarantined-view.js';
 * declare const adapter: CheckpointAdapter;
 * const view = await quarantinedView(adapter, 'order-1', 'q3', [taggedJsonCodec], undefined, Date.now());
 * ```
 */
export async function quarantinedView(
  adapter: CheckpointAdapter,
  key: string,
  id: string,
  codecs: readonly Codec[],
  machine: MachineModule | undefined,
  now: number,
): Promise<QuarantinedView> {
  const info = (await adapter.listQuarantine(key)).find((q) => q.id === id);
  const bytes = info ? await adapter.readQuarantined(key, id) : undefined;
  if (!info || bytes === undefined) {
    throw new CheckpointError('not-found', {
      key,
      adapter: adapter.name,
      detail: `no quarantined generation with id "${id}"`,
    });
  }
  const base = { key, info, byteLength: bytes.length };
  try {
    const decoded = await decodeCheckpoint(bytes, codecs, undefined, info.seq);
    return { ...base, generation: await generationView(key, decoded, machine, now) };
  } catch (caught) {
    const error = toCheckpointError(caught, 'decode', { key, adapter: adapter.name, seq: info.seq });
    const head = bytes.subarray(0, PREVIEW_BYTES);
    return {
      ...base,
      problem: { code: error.code, detail: problemText(error) },
      text: new TextDecoder('utf-8', { fatal: false }).decode(head),
      hex: [...bytes.subarray(0, HEX_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join(' '),
    };
  }
}
