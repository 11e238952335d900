/** Limits applied before and while decoding untrusted bytes. */
export interface DecodeLimits {
  /** Refuse payloads larger than this many bytes. @default 64 MiB */
  readonly maxBytes?: number;
  /**
   * Refuse payloads nested deeper than this; saving refuses the same (the codec's `encode`
   * is given these limits), so raising it lets deeper data be saved too. The codec's walks
   * recurse: with Node's default stack, nesting past about 2,800 levels can fail with `encode`
   * (a stack overflow) instead of `too-deep`; `JSON.stringify` itself stops near 4,000. @default 2048
   */
  readonly maxDepth?: number;
  /**
   * Refuse payloads of more values than this, counted before parsing (each
   * `,`, `[` and `{` outside strings counts one). Parsed values take many
   * times their bytes (an empty object is 2 bytes of JSON and about 100 bytes
   * of heap while it is decoded); this cap keeps a flood of tiny values from
   * exhausting memory. Saving applies the caps too: a checkpoint over them is
   * not written (`too-large` through `onError`). @default 2,000,000
   */
  readonly maxValues?: number;
}

/**
 * Default {@link DecodeLimits}: 64 MiB, 2,048 levels of nesting, 2,000,000 values.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, taggedJsonCodec } from 'xstate-checkpoint';
 * declare const bytes: Uint8Array;
 * taggedJsonCodec.decode(bytes, { ...DEFAULT_LIMITS, maxBytes: 1024 * 1024 });
 * ```
 */
export const DEFAULT_LIMITS: Required<DecodeLimits> = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 2048,
  maxValues: 2_000_000,
};
