import { CheckpointError } from './errors.js';

// The retention options and their check: what every app needs at start. Applying them
// (retention.ts) loads after a write, and only when there is more than `latest` to look at.

/**
 * Which generations to keep. A generation survives when any rule keeps it;
 * the newest is always kept, and quarantined generations are never pruned.
 *
 * The calendar rules (`keepHourly`, `keepDaily`, `keepWeekly`) keep the newest
 * generation (highest `seq`) of each of the N most recent hours, days or weeks
 * that have one, by `createdAt` in UTC (or at `utcOffsetMinutes`); weeks start
 * on Monday. Periods without a generation do not count, so a pause in writes
 * does not empty the history, and periods are ranked by their newest `seq`, so
 * a clock that jumped does not hold a slot forever.
 */
export interface RetentionOptions {
  /** Keep this many newest generations (at least 1). @default 3 */
  readonly latest?: number;
  /**
   * Limits `latest`: a generation older than this (by the clock, in ms) is not
   * kept by `latest`. The calendar rules have their own reach.
   * @default no age limit
   */
  readonly maxAgeMs?: number;
  /** Keep the newest generation of each of the N most recent hours that have one. @default 0 */
  readonly keepHourly?: number;
  /** Keep the newest generation of each of the N most recent days that have one. @default 0 */
  readonly keepDaily?: number;
  /** Keep the newest generation of each of the N most recent weeks (Monday to Sunday) that have one. @default 0 */
  readonly keepWeekly?: number;
  /**
   * Where hours, days and weeks begin, in minutes east of UTC (`60` for
   * UTC+1). A fixed offset: it does not follow daylight saving time.
   * @default 0
   */
  readonly utcOffsetMinutes?: number;
  /**
   * What a save does when the store is full (`storage-full`). `'keep'`: it
   * fails and deletes nothing; every generation retention keeps stays, and the
   * save is retried with the next change or `flush()`. `'drop-oldest'`: it
   * deletes the oldest generation and tries again, one at a time, until the
   * new state fits; older history goes for the newest state, the newest
   * durable generation is never removed, and quarantine is never touched.
   * Each removal is reported as a `prune` event; if the save still fails with
   * only the newest generation left, the removed ones stay removed.
   * @default 'keep'
   */
  readonly onFull?: 'keep' | 'drop-oldest';
}

const PERIOD_OPTIONS = ['keepHourly', 'keepDaily', 'keepWeekly'] as const;

/**
 * Throws `invalid-option` for retention options the kit cannot use.
 *
 * @example
 * ```ts
 * import { checkRetention } from 'xstate-checkpoint';
 * checkRetention({ latest: 3, keepDaily: 7 }, 'order-1'); // fine
 * ```
 */
export function checkRetention(options: RetentionOptions | undefined, key?: string): void {
  if (options === undefined) return;
  const bad = (detail: string) => new CheckpointError('invalid-option', { key, detail });
  const count = (n: number) => n === Number.POSITIVE_INFINITY || Number.isInteger(n);
  if (options.latest !== undefined && !(count(options.latest) && options.latest >= 1)) {
    throw bad('`retain.latest` must be an integer of at least 1 (or Infinity)');
  }
  if (options.maxAgeMs !== undefined && !(options.maxAgeMs >= 0)) throw bad('`retain.maxAgeMs` must be >= 0');
  for (const name of PERIOD_OPTIONS) {
    const n = options[name];
    if (n !== undefined && !(count(n) && n >= 0)) throw bad(`\`retain.${name}\` must be an integer >= 0 (or Infinity)`);
  }
  const offset = options.utcOffsetMinutes;
  if (offset !== undefined && !(Number.isInteger(offset) && Math.abs(offset) <= 14 * 60)) {
    throw bad('`retain.utcOffsetMinutes` must be an integer from -840 to 840');
  }
  const onFull: unknown = options.onFull;
  if (onFull !== undefined && onFull !== 'keep' && onFull !== 'drop-oldest') {
    throw bad(`\`retain.onFull\` must be 'keep' or 'drop-oldest', got ${JSON.stringify(onFull)}`);
  }
}
