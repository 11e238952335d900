import { DEFAULT_LIMITS, type DecodeLimits } from './codec/index.js';
import type { EnvelopeHeader } from './envelope.js';
import { CheckpointError, isCheckpointError } from './errors.js';

// Untrusted input is inflated 4 KiB at a time, so a stream that inflates far
// past the cap (a decompression bomb, up to ~1000:1) is stopped after one
// slice's output (about 4 MiB), not all of it. Costs ~20% on a 1 MB payload.
const INFLATE_SLICE = 4096;

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
 * The gzip bytes of `payload`, or `undefined` when they would not be smaller.
 * Loaded on demand by `sealEnvelope`.
 *
 * @example
 * ```ts
 * import { deflate } from './gzip.js';
 * const packed = await deflate(new TextEncoder().encode('a'.repeat(1000)), 'gzip');
 * ```
 */
export function deflate(payload: Uint8Array, format: CompressionFormat): Promise<Uint8Array | undefined> {
  return pump(new CompressionStream(format), payload, payload.length - 1);
}

/**
 * The codec's bytes of a verified format-2 payload (see `inflatePayload`, which loads this on demand).
 *
 * @example
 * ```ts
 * import { openEnvelope } from './envelope.js';
 * import { inflate } from './gzip.js';
 * declare const bytes: Uint8Array;
 * const { header, payload } = openEnvelope(bytes);
 * const raw = await inflate(header, payload, undefined, 'gzip');
 * ```
 */
export async function inflate(
  header: EnvelopeHeader,
  payload: Uint8Array,
  limits: DecodeLimits | undefined,
  format: CompressionFormat,
): Promise<Uint8Array> {
  const seq = header.seq;
  if (header.compression !== format) {
    throw new CheckpointError('decode', {
      seq,
      detail: `compression "${header.compression}" is not supported by this version (only ${format}); read it with a newer xstate-checkpoint`,
    });
  }
  const maxBytes = limits?.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  const rawLength = header.rawLength ?? 0;
  const tooLarge = (what: string) =>
    new CheckpointError('too-large', { seq, detail: `compressed payload ${what}, the limit is ${maxBytes}` });
  if (rawLength > maxBytes) throw tooLarge(`says it inflates to ${rawLength} bytes`);
  let raw: Uint8Array | undefined;
  try {
    raw = await pump(new DecompressionStream(format), payload, rawLength, INFLATE_SLICE);
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
