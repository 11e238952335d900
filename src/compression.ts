import type { DecodeLimits } from './codec/index.js';
import { encodeEnvelope, type EnvelopeFields, type EnvelopeHeader } from './envelope.js';
import { onDemand } from './on-demand.js';

/** Options of the `compress` option: compress payloads from a size on. */
export interface CompressOptions {
  /** Compress payloads of at least this many bytes (smaller ones are stored as they are). @default 65536 */
  readonly above?: number;
}

/** The compression this build writes and reads (gzip, through `CompressionStream`). */
export const COMPRESSION = 'gzip';
const DEFAULT_ABOVE = 64 * 1024;
// The stream code loads with the first payload worth compressing or inflating: apps without `compress`
// never load it, and a failed load is `io` (a compressed generation is never quarantined for it).
const gzip = /* @__PURE__ */ onDemand('the compression code', () => import('./gzip.js'));

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
  const packed = await (await gzip.load()).deflate(payload, COMPRESSION);
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
  return (await gzip.load()).inflate(header, payload, limits, COMPRESSION);
}
