import type { Clock } from '../clock.js';
import { CheckpointError } from '../errors.js';

/** When and how often {@link withRetry} tries again. Names and defaults follow Temporal's retry policy. */
export interface RetryPolicy {
  /** Wait before the second attempt, in ms. @default 1000 */
  readonly initialInterval?: number;
  /** Each wait is this many times the previous one. @default 2 */
  readonly backoffCoefficient?: number;
  /** No wait is longer than this, in ms (jitter included). @default 100 * initialInterval */
  readonly maximumInterval?: number;
  /** Attempts in all, the first included; `Infinity` for no limit. @default Infinity */
  readonly maximumAttempts?: number;
  /**
   * Spread of each wait, as a fraction: a wait `w` becomes a uniform draw from
   * `[w * (1 - jitter), w * (1 + jitter)]`, then capped at `maximumInterval`.
   * Use 0.1-0.3 when many processes retry against one service.
   * @default 0
   */
  readonly jitter?: number;
  /**
   * Whether a failure may be retried (`attempt` is the attempt that failed).
   * Return `false` for errors that will not heal (validation, 4xx).
   * @default () => true
   */
  readonly retryable?: (error: unknown, attempt: number) => boolean;
  /** Source of randomness for the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * Clock for the waits and the wall-clock deadlines. The default uses the
   * actor system's clock for timers and `Date.now()` for time, so fake timers
   * work.
   */
  readonly clock?: Clock;
}

/** {@link RetryPolicy} with every default filled in. */
export type ResolvedRetryPolicy = Required<Omit<RetryPolicy, 'clock'>> & { readonly clock: Clock | undefined };

/**
 * Fills in and checks a {@link RetryPolicy}. Throws `invalid-option`.
 *
 * @example
 * ```ts
 * import { resolveRetryPolicy } from 'xstate-checkpoint/durable';
 * resolveRetryPolicy({ initialInterval: 200 }).maximumInterval; // 20000
 * ```
 */
export function resolveRetryPolicy(policy: RetryPolicy = {}): ResolvedRetryPolicy {
  const initialInterval = policy.initialInterval ?? 1000;
  const resolved: ResolvedRetryPolicy = {
    initialInterval,
    backoffCoefficient: policy.backoffCoefficient ?? 2,
    maximumInterval: policy.maximumInterval ?? 100 * initialInterval,
    maximumAttempts: policy.maximumAttempts ?? Infinity,
    jitter: policy.jitter ?? 0,
    retryable: policy.retryable ?? (() => true),
    random: policy.random ?? Math.random,
    clock: policy.clock,
  };
  const fail = (detail: string) => new CheckpointError('invalid-option', { detail: `withRetry: ${detail}` });
  if (!Number.isFinite(resolved.initialInterval) || resolved.initialInterval < 0) {
    throw fail(`initialInterval must be a finite number >= 0, got ${String(resolved.initialInterval)}`);
  }
  if (!Number.isFinite(resolved.backoffCoefficient) || resolved.backoffCoefficient < 1) {
    throw fail(`backoffCoefficient must be a finite number >= 1, got ${String(resolved.backoffCoefficient)}`);
  }
  if (!(resolved.maximumInterval >= resolved.initialInterval) || !Number.isFinite(resolved.maximumInterval)) {
    throw fail(`maximumInterval must be finite and >= initialInterval, got ${String(resolved.maximumInterval)}`);
  }
  const max = resolved.maximumAttempts;
  if (!(max === Infinity || (Number.isInteger(max) && max >= 1))) {
    throw fail(`maximumAttempts must be an integer >= 1 or Infinity, got ${String(max)}`);
  }
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) {
    throw fail(`jitter must be between 0 and 1, got ${String(resolved.jitter)}`);
  }
  return resolved;
}

/**
 * The wait in ms after attempt `failedAttempt` (1-based) failed:
 * `initialInterval * backoffCoefficient^(failedAttempt - 1)`, capped at
 * `maximumInterval`, spread by `jitter` using `random` (a number in [0, 1)),
 * capped again and rounded to whole ms.
 *
 * @example
 * ```ts
 * import { resolveRetryPolicy, retryDelay } from 'xstate-checkpoint/durable';
 * const policy = resolveRetryPolicy({ initialInterval: 100, maximumInterval: 1000 });
 * [1, 2, 3, 4, 5].map((n) => retryDelay(policy, n, 0.5)); // [100, 200, 400, 800, 1000]
 * ```
 */
export function retryDelay(policy: ResolvedRetryPolicy, failedAttempt: number, random: number): number {
  const base = Math.min(
    policy.maximumInterval,
    policy.initialInterval * policy.backoffCoefficient ** (failedAttempt - 1),
  );
  const spread = base * (1 + policy.jitter * (2 * random - 1));
  return Math.round(Math.min(policy.maximumInterval, Math.max(0, spread)));
}
