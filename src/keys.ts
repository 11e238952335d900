import { CheckpointError } from './errors.js';

/** Longest key (in UTF-16 code units) the kit accepts. Adapters hash long keys where they must. */
export const MAX_KEY_LENGTH = 1024;

/**
 * Checks that `key` can name a checkpoint in any adapter: a non-empty string
 * of at most {@link MAX_KEY_LENGTH} characters, without NUL and without lone
 * surrogates. Throws `invalid-key`.
 *
 * @example
 * ```ts
 * import { checkKey } from 'xstate-checkpoint';
 * checkKey('order/42', 'fs'); // ok: adapters encode '/' safely
 * ```
 */
export function checkKey(key: unknown, adapter?: string): asserts key is string {
  const fail = (detail: string) =>
    new CheckpointError('invalid-key', {
      key: typeof key === 'string' ? key.slice(0, 100) : undefined,
      adapter,
      detail,
    });
  if (typeof key !== 'string') throw fail(`key must be a string, got ${typeof key}`);
  if (key.length === 0) throw fail('key is empty');
  if (key.length > MAX_KEY_LENGTH) throw fail(`key is ${key.length} characters, the limit is ${MAX_KEY_LENGTH}`);
  if (key.includes('\0')) throw fail('key contains a NUL character');
  if (!key.isWellFormed()) throw fail('key contains a lone surrogate (not valid Unicode)');
}
