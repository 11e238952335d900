import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A fresh studio token: 32 random bytes as base64url (43 characters), the
 * secret every request's path starts with.
 *
 * @example
 * ```ts
 * import { newToken } from './token.js';
 * const token = newToken(); // 'q3V...'
 * ```
 */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether `given` is the token, in time that does not depend on how much of
 * it matches: both sides are hashed to the same length first, so neither the
 * length nor a common prefix of a guess shows in the timing.
 *
 * @example
 * ```ts
 * import { tokenMatches } from './token.js';
 * tokenMatches('abc', 'abc'); // true
 * ```
 */
export function tokenMatches(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}
