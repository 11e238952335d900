/** The one backoff of the adapters' retries and reconnects. */
export interface BackoffOptions {
  /** The first delay. */
  readonly minMs: number;
  /** The upper bound of one delay. */
  readonly maxMs: number;
  /** Scale each delay by a random factor in [0.5, 1), so retrying clients spread out. @default false */
  readonly jitter?: boolean;
}

/**
 * The delay before retry number `attempt` (0 for the first): `minMs` doubled per
 * attempt up to `maxMs`, with optional jitter.
 *
 * @example
 * ```ts
 * import { backoffDelay } from './backoff.js';
 * backoffDelay(3, { minMs: 100, maxMs: 5000 }); // 800
 * ```
 */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const delay = Math.min(o.maxMs, o.minMs * 2 ** attempt);
  return o.jitter ? delay * (0.5 + Math.random() * 0.5) : delay;
}
