/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** The first delay, in ms. */
  readonly minMs: number;
  /** The upper bound of one delay, in ms. */
  readonly maxMs: number;
  /** Scale each delay by a random factor in [0.5, 1), so retrying clients spread out. @default false */
  readonly jitter?: boolean;
}

/**
 * The one backoff of the kit's own retries and reconnects (adapters, the
 * journal writer): the delay before retry number `attempt` (0 for the first),
 * `minMs` doubled per attempt up to `maxMs`, with optional jitter. A user's
 * `withRetry` policy is the user's formula, not this one.
 *
 * @example
 * ```ts
 * import { backoffDelay } from 'xstate-checkpoint/adapter-kit';
 * backoffDelay(3, { minMs: 100, maxMs: 5000 }); // 800
 * ```
 */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const delay = Math.min(o.maxMs, o.minMs * 2 ** Math.max(0, attempt));
  return o.jitter ? delay * (0.5 + Math.random() * 0.5) : delay;
}
