import { revive } from './decode.js';
import { walk } from './encode.js';
import { TAGGED_JSON_ID } from './format.js';
import { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
import { parseUntrustedJson, readUntrustedText } from './untrusted.js';
import { utf8Bytes } from './utf8.js';
import { pieces } from './writer.js';

export { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
export { checkWritable, parseUntrustedJson, readUntrustedText } from './untrusted.js';
export { revive } from './decode.js';

/**
 * Turns snapshot values into bytes and back. The default is {@link taggedJsonCodec};
 * plug in another (e.g. with `superjson`) through the `codec` option.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec, type Codec } from 'xstate-checkpoint';
 * const codec: Codec = taggedJsonCodec;
 * codec.decode(codec.encode({ n: 1n })); // { n: 1n }
 * ```
 */
export interface Codec {
  /** Stored in every envelope; restore refuses payloads of another codec. */
  readonly id: string;
  /**
   * The bytes of `value`. `limits` are the ones restore will decode with (the
   * `limits` option): a codec may refuse what they refuse, never what they
   * allow (a raised `maxDepth` must let deeper data be saved). Codecs that
   * ignore them are fine: the writers check the kit's JSON codecs' bytes
   * against them before writing. @default DEFAULT_LIMITS
   */
  encode(value: unknown, limits?: DecodeLimits): Uint8Array;
  decode(bytes: Uint8Array, limits?: DecodeLimits): unknown;
}

/** Encodes any supported value to tagged-JSON text. @internal exported for tests and tools */
export function encodeText(value: unknown, maxDepth = DEFAULT_LIMITS.maxDepth): string {
  const { root, enc } = walk(value, maxDepth);
  return pieces(root, enc).join('');
}

/**
 * The default codec (`xsc1`): JSON, plus short "~" markers for the values JSON
 * cannot carry (Date, Map, Set, BigInt, RegExp, Error, undefined, NaN,
 * ±Infinity, -0, typed arrays, ArrayBuffer, shared and cyclic references).
 * Plain data pays for one identity walk; rich values are marked where they occur.
 * Encoding refuses nesting deeper than `limits.maxDepth` (`too-deep`, with the
 * path), the depth its decode accepts.
 * Class instances are kept as their own enumerable data and functions and
 * symbols are dropped, as in JSON.
 *
 * Any own enumerable key round-trips as an own property, `__proto__`
 * included (written escaped, see `docs/format.md`).
 *
 * Decoding is safe on untrusted bytes: caps on size, depth and the number of
 * values before parsing, fatal UTF-8, a literal `__proto__` key is refused,
 * every property is defined (never assigned through a prototype), and nothing
 * is ever looked up by a path from the payload.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * const bytes = taggedJsonCodec.encode({ at: new Date(0), tags: new Set(['a']) });
 * const back = taggedJsonCodec.decode(bytes) as { at: Date; tags: Set<string> };
 * ```
 */
export const taggedJsonCodec: Codec = {
  id: TAGGED_JSON_ID,
  encode(value, limits) {
    const { root, enc } = walk(value, limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth);
    return utf8Bytes(pieces(root, enc));
  },
  decode(bytes, limits = DEFAULT_LIMITS) {
    return revive(parseUntrustedJson(readUntrustedText(bytes, limits)));
  },
};
