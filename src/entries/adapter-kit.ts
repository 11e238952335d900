/**
 * `xstate-checkpoint/adapter-kit`: what an adapter author needs beside the
 * contract types ({@link CheckpointAdapter} and its records): the envelope an
 * adapter stores byte for byte (and can read the header of, to check a stored
 * seq), the CRC-32 it carries, key and record checks, the error helper that
 * keeps a driver's cause, and {@link readNewestOf}, the newest readable
 * generation of a key from any adapter. The conformance suites that prove an
 * adapter keeps the contract are in `xstate-checkpoint/testing`. See
 * `docs/adapters.md`.
 *
 * @example
 * ```ts
 * import { checkKey, checkRecord, readEnvelopeHeader, type CheckpointRecord } from 'xstate-checkpoint/adapter-kit';
 *
 * function accept(key: unknown, record: CheckpointRecord): number {
 *   checkKey(key, 'my-store'); // `invalid-key` unless it is a usable key
 *   checkRecord('my-store', key, record); // `invalid-option` for a bad seq, epoch or bytes
 *   return readEnvelopeHeader(record.bytes).seq; // `corrupt` unless the bytes are an envelope
 * }
 * ```
 * @packageDocumentation
 */
export type {
  AcquireOptions,
  AdapterCapabilities,
  CheckpointAdapter,
  CheckpointRecord,
  GenerationInfo,
  GenerationNotice,
  JournalDamage,
  JournalEntry,
  JournalReadResult,
  JournalStore,
  Lease,
  NewestRead,
  QuarantineInfo,
} from '../adapter.js';
export type { Clock, TimerHandle } from '../clock.js';
export { systemClock } from '../clock.js';
export { crc32 } from '../checksum.js';
export {
  COMPRESSED_ENVELOPE_FORMAT,
  ENVELOPE_FORMAT,
  encodeEnvelope,
  openEnvelope,
  readEnvelopeHeader,
} from '../envelope.js';
export type { EnvelopeFields, EnvelopeHeader, OpenedEnvelope } from '../envelope.js';
export { COMPRESSION, inflatePayload, sealEnvelope } from '../compression.js';
export { checkCompress } from '../option-checks.js';
export type { CompressOptions } from '../compression.js';
export { CheckpointError, isCheckpointError, toCheckpointError } from '../errors.js';
export type { CheckpointErrorCode, CheckpointErrorDetails } from '../errors.js';
export { MAX_KEY_LENGTH, checkKey } from '../keys.js';
export { checkRecord } from '../record-check.js';
export { backoffDelay } from '../backoff.js';
export type { BackoffOptions } from '../backoff.js';
export { readNewestOf } from '../read-newest.js';
export type { NewestFound } from '../read-newest.js';
