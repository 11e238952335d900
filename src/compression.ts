import { DEFAULT_LIMITS, type DecodeLimits } from './codec/index.js';
import { encodeEnvelope, type EnvelopeFields, type EnvelopeHeader } from './envelope.js';
import { CheckpointError, isCheckpointError } from './errors.js';

/** Options of the `compress` option: compress payloads from a size on. */
export interface CompressOptions {
  /** Compress payloads of at least this many bytes (smaller ones are stored as they are). @default 65536 */
  readonly above?: number;
}

/** The compression this build writes and reads (gzip, through `CompressionStream`). */
export const COMPRESSION = 'gzip';
const DEFAULT_ABOVE = 64 * 1024;
// Untrusted input is inflated 4 KiB at a time, so a stream that inflates far
// past the cap (a decompression bomb, up to ~1000:1) is stopped after one
// slice's output (about 4 MiB), not all of it. Costs ~20% on a 1 MB payload.
const INFLATE_SLICE = 4096;

/**
 * Throws `invalid-option` for a `compress` option the kit cannot use, or when
 * this runtime has no `CompressionStream` (browsers since 2023, Node 18+).
 *
 * @example
 * ```ts
 * import { checkCompress } from 'xstate-checkpoint/adapter-kit';
 * checkCompress({ above: 128 * 1024 }, 'order-1');
 * ```
 */
export function checkCompress(option: boolean | CompressOptions | undefined, key?: string): void {
  if (!option) return;
  const bad = (detail: string) => new CheckpointError('invalid-option', { key, detail });
  const above = option === true ? DEFAULT_ABOVE : option.above;
  if (above !== undefined && !(Number.isSafeInteger(above) && above >= 0)) {
    throw bad('`compress.above` must be a whole number of bytes >= 0');
  }
  if (typeof CompressionStream !== 'function' || typeof DecompressionStream !== 'function') {
    throw bad('`compress` needs CompressionStream and DecompressionStream, which this runtime lacks');
  }
}

/** Runs `bytes` through a (de)compression stream, `slice` bytes at a time; `undefined` past `limit` bytes of output. */
async function pump(
  stream: CompressionStream | DecompressionStream,
  bytes: Uint8Array,
  limit: number,
  slice = Math.max(1, bytes.length),
) {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // Errors of the feeding side (a damaged stream) also surface on the reader.
  void (async () => {
    // Streams take ArrayBuffer-backed views only; bytes from storage and codecs are.
    for (let i = 0; i < bytes.length; i += slice)
      await writer.write(bytes.subarray(i, i + slice) as Uint8Array<ArrayBuffer>);
    await writer.close();
  })().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) return undefined;
      chunks.push(value);
    }
  } finally {
    // Stops the stream where it is; nothing more is inflated.
    reader.cancel().catch(() => undefined);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Wraps `payload` in an envelope, gzip-compressed (format 2) when `compress`
 * is set, the payload is at least `above` bytes and compression makes it
 * smaller; else as it is (format 1). The CRC covers the stored bytes.
 *
 * @example
 * ```ts
 * import { sealEnvelope } from 'xstate-checkpoint/adapter-kit';
 * const fields = { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: Date.now(), codec: 'xsc1' };
 * const bytes = await sealEnvelope(fields, new TextEncoder().encode('[{}]'), { above: 0 });
 * ```
 */
export async function sealEnvelope(
  fields: EnvelopeFields,
  payload: Uint8Array,
  compress: boolean | CompressOptions | undefined,
): Promise<Uint8Array> {
  const above = compress === true ? DEFAULT_ABOVE : compress ? (compress.above ?? DEFAULT_ABOVE) : undefined;
  if (above === undefined || payload.length < above) return encodeEnvelope(fields, payload);
  const packed = await pump(new CompressionStream(COMPRESSION), payload, payload.length - 1);
  if (packed === undefined) return encodeEnvelope(fields, payload);
  return encodeEnvelope({ ...fields, compression: COMPRESSION, rawLength: payload.length }, packed);
}

/**
 * Restore step between verify and decode: the codec's bytes of a verified
 * envelope. A format-1 payload is returned as it is; a compressed one is
 * inflated under the same cap as decoding (`maxBytes`): inflating past it, or
 * past the header's `rawLength`, stops at once with `too-large`. An unknown
 * compression or a damaged stream is `decode`.
 *
 * @example
 * ```ts
 * import { inflatePayload, openEnvelope } from 'xstate-checkpoint/adapter-kit';
 * declare const bytes: Uint8Array;
 * const { header, payload } = openEnvelope(bytes);
 * const raw = await inflatePayload(header, payload, { maxBytes: 8 * 1024 * 1024 });
 * ```
 */
export async function inflatePayload(
  header: EnvelopeHeader,
  payload: Uint8Array,
  limits?: DecodeLimits,
): Promise<Uint8Array> {
  if (header.compression === undefined) return payload;
  const seq = header.seq;
  if (header.compression !== COMPRESSION) {
    throw new CheckpointError('decode', {
      seq,
      detail: `compression "${header.compression}" is not supported by this version (only ${COMPRESSION}); read it with a newer xstate-checkpoint`,
    });
  }
  const maxBytes = limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  const rawLength = header.rawLength ?? 0;
  const tooLarge = (what: string) =>
    new CheckpointError('too-large', { seq, detail: `compressed payload ${what}, the limit is ${maxBytes}` });
  if (rawLength > maxBytes) throw tooLarge(`says it inflates to ${rawLength} bytes`);
  let raw: Uint8Array | undefined;
  try {
    raw = await pump(new DecompressionStream(COMPRESSION), payload, rawLength, INFLATE_SLICE);
  } catch (cause) {
    if (isCheckpointError(cause)) throw cause;
    throw new CheckpointError('decode', { seq, cause, detail: 'compressed payload is not a valid gzip stream' });
  }
  if (raw === undefined) throw tooLarge(`inflates past the ${rawLength} bytes its header says`);
  if (raw.length !== rawLength) {
    throw new CheckpointError('decode', {
      seq,
      detail: `compressed payload inflates to ${raw.length} bytes, its header says ${rawLength}`,
    });
  }
  return raw;
}
