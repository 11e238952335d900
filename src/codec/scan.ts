import { CheckpointError } from '../errors.js';

// The pre-parse scan of untrusted JSON: caps on nesting and on the number of
// values, found without parsing (a parse would already spend the memory).

/** What a scan of JSON found over a cap: nesting, or the number of values. */
export type Excess = 'depth' | 'values' | undefined;

/**
 * Whether UTF-8 JSON bytes nest deeper than `maxDepth` or hold more than
 * `maxValues` values (each `,`, `[` and `{` outside strings counts one: about
 * one per value). Run on the bytes, before decoding them (about twice as fast
 * as on the string). Bytes of multi-byte characters are all >= 0x80, so they
 * can never be taken for a quote, backslash, comma or bracket.
 */
export function bytesExcess(bytes: Uint8Array, maxDepth: number, maxValues: number): Excess {
  let depth = 0;
  let values = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 34) {
      for (i++; i < n; i++) {
        const s = bytes[i]!;
        if (s === 34) break;
        if (s === 92) i++;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return 'depth';
      if (++values > maxValues) return 'values';
    } else if (c === 125 || c === 93) depth--;
    else if (c === 44 && ++values > maxValues) return 'values';
  }
  return undefined;
}

/** The document array and one synthetic level (an error's props) sit above the data. */
export const depthLimit = (maxDepth: number): number => maxDepth + 2;
/** The document array and its flags are two values of their own. */
export const valueLimit = (maxValues: number): number => maxValues + 2;

/** Throws the typed error for what a scan found, if anything. */
function refuseExcess(excess: Excess, maxDepth: number, maxValues: number): void {
  if (excess === 'depth') throw new CheckpointError('too-deep', { detail: `nesting is deeper than ${maxDepth}` });
  if (excess === 'values') {
    throw new CheckpointError('too-large', {
      detail: `payload holds more than ${maxValues} values (the maxValues limit)`,
    });
  }
}

/** Whether a payload of `length` bytes or chars can exceed either cap (a value or a level takes one at least). */
export function mayExceed(length: number, maxDepth: number, maxValues: number): boolean {
  return length > 2 * depthLimit(maxDepth) || length > valueLimit(maxValues);
}

/** Throws `too-deep` or `too-large` when UTF-8 JSON `bytes` go over either cap (the document's own levels allowed). */
export function refuseOverCaps(bytes: Uint8Array, maxDepth: number, maxValues: number): void {
  refuseExcess(bytesExcess(bytes, depthLimit(maxDepth), valueLimit(maxValues)), maxDepth, maxValues);
}
