import { crc32 } from './checksum.js';
import { CheckpointError } from './errors.js';

/** The envelope format of uncompressed checkpoints (this build writes it and reads it). */
export const ENVELOPE_FORMAT = 1;
/** The envelope format of compressed checkpoints: format 1 plus `compression` and `rawLength` in the header. */
export const COMPRESSED_ENVELOPE_FORMAT = 2;

const MAGIC = [0x58, 0x53, 0x43, 0x4b] as const; // "XSCK"
const PREFIX = 12;
const MAX_HEADER = 0xffff;

/**
 * Metadata stored in front of every payload. Checked before the payload is
 * decoded; documented byte for byte in `docs/format.md`.
 */
export interface EnvelopeHeader {
  /** Envelope format ({@link ENVELOPE_FORMAT}, or {@link COMPRESSED_ENVELOPE_FORMAT}). */
  readonly format: number;
  /** The machine's id (`machine.id`), checked on restore. */
  readonly machine: string;
  /** The machine version the snapshot was written for (the `version` option). */
  readonly version: number;
  /** Generation sequence, monotonic per key. */
  readonly seq: number;
  /** Fencing epoch of the writer. */
  readonly epoch: number;
  /** Wall-clock creation time, ms since 1970. */
  readonly createdAt: number;
  /** The codec id that produced the payload. */
  readonly codec: string;
  /** Payload length in bytes. */
  readonly length: number;
  /** CRC-32 of the exact payload bytes (as stored: compressed, when compressed). */
  readonly crc: number;
  /** Format 2: how the payload is compressed (`gzip`); absent in format 1. */
  readonly compression?: string;
  /** Format 2: the payload's length before compression (the codec's bytes). */
  readonly rawLength?: number;
  /**
   * Journal mode: the journal position the snapshot covers (entries after it
   * are replayed on restore). Optional in both formats; absent in snapshot mode
   * and in journal generations written before it moved here from the payload.
   */
  readonly journal?: number;
}

/** Header fields the writer supplies; format, length and checksum are computed. */
export type EnvelopeFields = Omit<
  EnvelopeHeader,
  'format' | 'length' | 'crc' | 'compression' | 'rawLength' | 'journal'
> & {
  /** Set when `payload` is compressed, together with `rawLength` (see `src/compression.ts`). */
  readonly compression?: string | undefined;
  readonly rawLength?: number | undefined;
  /** The journal position the snapshot covers (journal mode only). */
  readonly journal?: number | undefined;
};

const encoder = new TextEncoder();
const headerDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Wraps payload bytes in an envelope: magic, format, header (with the payload's
 * length and CRC-32) guarded by its own CRC-32, then the payload.
 *
 * @example
 * ```ts
 * import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
 * const bytes = encodeEnvelope(
 *   { machine: 'order', version: 1, seq: 1, epoch: 0, createdAt: Date.now(), codec: 'xsc1' },
 *   new TextEncoder().encode('{}'),
 * );
 * openEnvelope(bytes).header.seq; // 1
 * ```
 */
export function encodeEnvelope(fields: EnvelopeFields, payload: Uint8Array): Uint8Array {
  const compressed = fields.compression !== undefined;
  const format = compressed ? COMPRESSED_ENVELOPE_FORMAT : ENVELOPE_FORMAT;
  const raw = {
    format,
    machine: fields.machine,
    version: fields.version,
    seq: fields.seq,
    epoch: fields.epoch,
    createdAt: fields.createdAt,
    codec: fields.codec,
    length: payload.length,
    crc: crc32(payload),
    ...(compressed ? { compression: fields.compression, rawLength: fields.rawLength } : {}),
    ...(fields.journal === undefined ? {} : { journal: fields.journal }),
  };
  let header: EnvelopeHeader;
  // Refuse here what readEnvelopeHeader would refuse: never write an envelope that cannot be read.
  try {
    header = checkHeader(raw, format);
  } catch (error) {
    throw new CheckpointError('encode', { detail: (error as CheckpointError).detail });
  }
  const headerBytes = encoder.encode(JSON.stringify(header));
  if (headerBytes.length > MAX_HEADER) {
    throw new CheckpointError('encode', { detail: 'envelope header is over 64 KiB (is the machine id that long?)' });
  }
  const out = new Uint8Array(PREFIX + headerBytes.length + payload.length);
  out.set(MAGIC, 0);
  out[4] = format;
  out[5] = 0;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(6, headerBytes.length);
  view.setUint32(8, crc32(headerBytes));
  out.set(headerBytes, PREFIX);
  out.set(payload, PREFIX + headerBytes.length);
  return out;
}

function corrupt(detail: string): CheckpointError {
  return new CheckpointError('corrupt', { detail });
}

/**
 * Reads and checks the header only (magic, format, header checksum), without
 * touching the payload. Cheap: for listings and tools.
 *
 * @example
 * ```ts
 * import { readEnvelopeHeader } from 'xstate-checkpoint/adapter-kit';
 * declare const bytes: Uint8Array;
 * const { seq, version } = readEnvelopeHeader(bytes);
 * ```
 */
export function readEnvelopeHeader(bytes: Uint8Array): EnvelopeHeader {
  // A store hands back what it holds (IndexedDB: a string, an ArrayBuffer, null). By tag, not
  // instanceof, so bytes of another realm (a worker, an iframe) pass.
  const tag = Object.prototype.toString.call(bytes);
  if (tag !== '[object Uint8Array]') throw corrupt(`the stored value is ${tag}, not bytes`);
  if (bytes.length < PREFIX) throw corrupt(`envelope is ${bytes.length} bytes, shorter than its ${PREFIX}-byte prefix`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw corrupt('not a checkpoint envelope (bad magic bytes)');
  }
  if (bytes[4] !== ENVELOPE_FORMAT && bytes[4] !== COMPRESSED_ENVELOPE_FORMAT) {
    throw corrupt(
      `envelope format ${String(bytes[4])} is not supported by this version (${ENVELOPE_FORMAT} and ${COMPRESSED_ENVELOPE_FORMAT})`,
    );
  }
  // Byte 5 is reserved and written as 0; it is outside both checksums, so a
  // flipped bit there is caught only by this check.
  if (bytes[5] !== 0) throw corrupt('envelope reserved byte is not 0');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint16(6);
  if (PREFIX + headerLength > bytes.length) throw corrupt('envelope header runs past the end (truncated)');
  if (crc32(bytes, PREFIX, PREFIX + headerLength) !== view.getUint32(8))
    throw corrupt('envelope header checksum mismatch');
  let raw: unknown;
  try {
    raw = JSON.parse(headerDecoder.decode(bytes.subarray(PREFIX, PREFIX + headerLength)));
  } catch (cause) {
    throw new CheckpointError('corrupt', { detail: 'envelope header is not valid JSON', cause });
  }
  return checkHeader(raw, bytes[4]);
}

function checkHeader(raw: unknown, format: number): EnvelopeHeader {
  if (typeof raw !== 'object' || raw === null) throw corrupt('envelope header is not an object');
  const h = raw as Record<string, unknown>;
  const int = (name: string): number => {
    const v = h[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw corrupt(`envelope header field "${name}" is invalid`);
    return v;
  };
  const str = (name: string): string => {
    const v = h[name];
    if (typeof v !== 'string') throw corrupt(`envelope header field "${name}" is invalid`);
    return v;
  };
  if (h['format'] !== format) throw corrupt('envelope header format does not match the prefix');
  const compression =
    format === COMPRESSED_ENVELOPE_FORMAT ? { compression: str('compression'), rawLength: int('rawLength') } : {};
  // Optional: older journal generations carry the position in their payload instead.
  const journal = Object.hasOwn(h, 'journal') ? { journal: int('journal') } : {};
  return {
    format: int('format'),
    machine: str('machine'),
    version: int('version'),
    seq: int('seq'),
    epoch: int('epoch'),
    createdAt: int('createdAt'),
    codec: str('codec'),
    length: int('length'),
    crc: int('crc'),
    ...compression,
    ...journal,
  };
}

/**
 * Checks that an envelope's header names the sequence it is stored under.
 * Every adapter stores a generation by its `seq`, and the header repeats it
 * inside the checksums; a mismatch means the bytes of one generation were put
 * where another belongs (an old envelope copied over a newer one), which the
 * checksums cannot see. Throws `corrupt`.
 *
 * @example
 * ```ts
 * import { checkStoredSeq, readEnvelopeHeader } from './envelope.js';
 * declare const bytes: Uint8Array;
 * checkStoredSeq(readEnvelopeHeader(bytes), 7);
 * ```
 */
export function checkStoredSeq(header: EnvelopeHeader, storedSeq: number): void {
  if (header.seq !== storedSeq) {
    throw new CheckpointError('corrupt', {
      seq: storedSeq,
      detail: `the envelope header says generation ${header.seq}, but it is stored as generation ${storedSeq} (bytes copied from another generation?)`,
    });
  }
}

/** A verified envelope: its header and a view of the payload bytes. */
export interface OpenedEnvelope {
  readonly header: EnvelopeHeader;
  readonly payload: Uint8Array;
}

/**
 * Verifies an envelope completely (header checksum, exact length, payload
 * CRC-32) and returns its header and payload. Throws `corrupt` otherwise.
 *
 * @example
 * ```ts
 * import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
 * declare const bytes: Uint8Array;
 * const { header, payload } = openEnvelope(bytes);
 * ```
 */
export function openEnvelope(bytes: Uint8Array): OpenedEnvelope {
  const header = readEnvelopeHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = PREFIX + view.getUint16(6);
  const actual = bytes.length - start;
  if (actual !== header.length) {
    throw corrupt(
      `payload is ${actual} bytes, the header says ${header.length} (${actual < header.length ? 'truncated' : 'trailing bytes'})`,
    );
  }
  if (crc32(bytes, start) !== header.crc) throw corrupt('payload checksum mismatch');
  return { header, payload: bytes.subarray(start) };
}
