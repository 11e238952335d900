import { CheckpointError } from '../errors.js';
import { onDemand } from '../on-demand.js';
import type { Codec } from './index.js';
import { TAGGED_JSON_ID } from './format-id.js';
import { DEFAULT_LIMITS } from './limits.js';
import { NEEDS_FULL, plainJson, plainRevive } from './plain.js';
import { parseUntrustedJson, readUntrustedText } from './untrusted.js';
import { PIECE, utf8Bytes } from './utf8.js';

/** The rest of the tagged-JSON codec (rich values, references, escaped keys, long payloads in pieces). */
export const fullCodec = /* @__PURE__ */ onDemand('the tagged-JSON codec', () => import('./index.js'));

/**
 * The codec `persistActor` writes with when no `codec` is given: the format
 * and the bytes of `taggedJsonCodec` (id `xsc1`), in two parts. JSON data
 * with the markers every XState snapshot holds (`undefined`, see plain.ts)
 * is encoded and decoded here, with every guard of the untrusted-JSON path;
 * the rest of the codec loads with the first payload that holds a value only
 * it writes or reads (a Date, a Map, a BigInt, a shared reference, ...). Until then its `encode` and `decode` throw an `io` error
 * that the save and restore steps answer by loading it and trying again
 * (`withParts`); once loaded, it is `taggedJsonCodec`.
 *
 * @example
 * ```ts
 * import { defaultCodec } from './default.js';
 * import { withParts } from '../on-demand.js';
 * const bytes = await withParts(() => defaultCodec.encode({ at: new Date(0) })); // loads the rest first
 * ```
 */
export const defaultCodec: Codec = {
  id: TAGGED_JSON_ID,
  encode(value, limits) {
    const full = fullCodec.loaded;
    if (full) return full.taggedJsonCodec.encode(value, limits);
    const maxDepth = limits?.maxDepth ?? DEFAULT_LIMITS.maxDepth;
    let text: string | undefined;
    try {
      // A long text is faster in pieces (see utf8.ts): the rest of the codec loads for the next one.
      text = plainJson(value, maxDepth, PIECE, () => void fullCodec.load().catch(() => undefined));
    } catch (cause) {
      throw cause instanceof CheckpointError ? cause : new CheckpointError('encode', { cause });
    }
    return text === undefined ? fullCodec.need().taggedJsonCodec.encode(value, limits) : utf8Bytes([text]);
  },
  decode(bytes, limits = DEFAULT_LIMITS) {
    const doc = parseUntrustedJson(readUntrustedText(bytes, limits));
    const full = fullCodec.loaded;
    if (full) return full.revive(doc);
    const value = plainRevive(doc);
    // Anything else is for the full reader (which also refuses what is malformed): need() throws
    // until it is loaded, and withParts decodes these bytes again then (plainRevive read in place).
    return value === NEEDS_FULL ? fullCodec.need().revive(doc) : value;
  },
};
