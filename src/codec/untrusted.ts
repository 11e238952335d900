import { CheckpointError } from '../errors.js';
import type { Codec } from './index.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
import { TAGGED_JSON_ID, UNSAFE_KEY } from './format-id.js';
import { depthLimit, mayExceed, refuseOverCaps, valueLimit } from './scan.js';

// Guards for JSON bytes from storage, shared by the kit's JSON codecs
// (taggedJsonCodec, superjsonCodec) and by the writers' pre-write check.

const utf8 = new TextDecoder('utf-8', { fatal: true });

function refuseOverSize(length: number, maxBytes: number): void {
  if (length > maxBytes) {
    throw new CheckpointError('too-large', { detail: `payload is ${length} bytes, the limit is ${maxBytes}` });
  }
}

/**
 * Untrusted JSON bytes to text: the size and nesting caps are applied to the
 * bytes, then they are decoded as UTF-8, fatally (no replacement characters).
 * @internal shared by the codecs
 */
export function readUntrustedText(bytes: Uint8Array, limits: DecodeLimits): string {
  refuseOverSize(bytes.length, limits.maxBytes ?? DEFAULT_LIMITS.maxBytes);
  const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  const maxValues = limits.maxValues ?? DEFAULT_LIMITS.maxValues;
  if (mayExceed(bytes.length, maxDepth, maxValues)) refuseOverCaps(bytes, maxDepth, maxValues);
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new CheckpointError('decode', { detail: 'payload is not valid UTF-8', cause });
  }
}

/**
 * Throws what restore would throw for `payload` under `limits` (`too-large`,
 * `too-deep`), before it is written, when `codec` reads its payload as JSON
 * text with these caps (the kit's JSON codecs); other codecs apply their own.
 * Saving a checkpoint that no restore would accept would push readable
 * generations out of retention: refusing it keeps them, and says so.
 * @internal used by the writers
 */
export function checkWritable(codec: Codec, payload: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): void {
  if (codec.id !== TAGGED_JSON_ID && codec.id !== 'superjson') return;
  try {
    refuseOverSize(payload.length, limits.maxBytes ?? DEFAULT_LIMITS.maxBytes);
    const maxDepth = limits.maxDepth ?? DEFAULT_LIMITS.maxDepth;
    const maxValues = limits.maxValues ?? DEFAULT_LIMITS.maxValues;
    // This codec's encoder refuses nesting past `limits.maxDepth` itself (a wrapper that does not
    // pass the limits on: past the default depth), and a payload holds fewer values than bytes:
    // most writes need no scan (a scan costs about 8% of an encode).
    const encoderDepth = codec.id === TAGGED_JSON_ID ? DEFAULT_LIMITS.maxDepth : 0;
    const depthUnchecked = maxDepth < encoderDepth || (encoderDepth === 0 && payload.length > 2 * depthLimit(maxDepth));
    if (depthUnchecked || payload.length > valueLimit(maxValues)) refuseOverCaps(payload, maxDepth, maxValues);
  } catch (error) {
    const e = error as CheckpointError;
    throw new CheckpointError(e.code, {
      detail: `not written: restore would refuse this checkpoint (${e.detail ?? e.message}); keep context smaller or raise the limit in the \`limits\` option`,
    });
  }
}

function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === UNSAFE_KEY) throw new CheckpointError('unsafe-payload', { detail: 'the payload has a "__proto__" key' });
  return value;
}

// A "__proto__" key can only appear literally or with \u escapes of its letters
// (_ p r o t); only then is the slower reviver that refuses it worth paying for.
const PROTO_ESCAPE = /\\u00(?:5[fF]|6[fF]|7[024])/;
function mayHideProtoKey(text: string): boolean {
  return text.includes(UNSAFE_KEY) || (text.includes('\\u') && PROTO_ESCAPE.test(text));
}

/**
 * JSON.parse for untrusted text (from {@link readUntrustedText}, which applied
 * the caps) that refuses a `__proto__` key, also escaped.
 * @internal shared by the codecs
 */
export function parseUntrustedJson(text: string): unknown {
  try {
    return mayHideProtoKey(text) ? JSON.parse(text, refuseProtoKey) : JSON.parse(text);
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError('decode', { detail: 'payload is not valid JSON', cause });
  }
}
