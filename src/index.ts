export type {
  AcquireOptions,
  AdapterCapabilities,
  CheckpointAdapter,
  CheckpointRecord,
  GenerationInfo,
  Lease,
  QuarantineInfo,
} from './adapter.js';
export { crc32 } from './checksum.js';
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { DEFAULT_LIMITS, taggedJsonCodec } from './codec.js';
export type { Codec, DecodeLimits } from './codec.js';
export { ENVELOPE_FORMAT, encodeEnvelope, openEnvelope, readEnvelopeHeader } from './envelope.js';
export type { EnvelopeFields, EnvelopeHeader, OpenedEnvelope } from './envelope.js';
export { CheckpointError, isCheckpointError, toCheckpointError } from './errors.js';
export type { CheckpointErrorCode, CheckpointErrorDetails } from './errors.js';
export { MAX_KEY_LENGTH, checkKey } from './keys.js';
