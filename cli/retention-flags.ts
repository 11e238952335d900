import type { RetentionOptions } from '../src/retention.js';
import { flagValue, intFlag, UsageError, type ParsedArgs } from './args.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90m`, `36h`, `7d`, `2w` (or plain milliseconds) as milliseconds. */
function duration(raw: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)?$/.exec(raw);
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 'ms']! : Number.NaN;
  if (!Number.isSafeInteger(ms))
    throw new UsageError(`--max-age must be a duration such as 36h, 7d or 2w, got "${raw}"`);
  return ms;
}

/**
 * The retention rules of `prune`, the same as `persistActor`'s `retain`:
 * `--keep n` (latest), `--max-age 7d`, `--keep-hourly n`, `--keep-daily n`,
 * `--keep-weekly n`, `--utc-offset minutes`. At least one rule is required;
 * without `--keep`, only the newest is kept by `latest`.
 *
 * @example
 * ```ts
 * import { parseArgs } from './args.js';
 * import { retentionFromArgs } from './retention-flags.js';
 * retentionFromArgs(parseArgs(['--keep-daily', '7'], ['keep-daily'])); // { latest: 1, keepDaily: 7 }
 * ```
 */
export function retentionFromArgs(args: ParsedArgs): RetentionOptions {
  const latest = intFlag(args, 'keep', 1);
  const keepHourly = intFlag(args, 'keep-hourly', 1);
  const keepDaily = intFlag(args, 'keep-daily', 1);
  const keepWeekly = intFlag(args, 'keep-weekly', 1);
  if (latest === undefined && keepHourly === undefined && keepDaily === undefined && keepWeekly === undefined) {
    throw new UsageError('prune needs a rule: --keep n, --keep-hourly n, --keep-daily n or --keep-weekly n');
  }
  const maxAge = flagValue(args, 'max-age');
  const offset = flagValue(args, 'utc-offset');
  const utcOffsetMinutes = offset === undefined ? undefined : Number(offset);
  if (utcOffsetMinutes !== undefined && !(Number.isInteger(utcOffsetMinutes) && Math.abs(utcOffsetMinutes) <= 840)) {
    throw new UsageError(`--utc-offset must be minutes east of UTC from -840 to 840, got "${offset!}"`);
  }
  return {
    latest: latest ?? 1,
    ...(maxAge === undefined ? {} : { maxAgeMs: duration(maxAge) }),
    ...(keepHourly === undefined ? {} : { keepHourly }),
    ...(keepDaily === undefined ? {} : { keepDaily }),
    ...(keepWeekly === undefined ? {} : { keepWeekly }),
    ...(utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes }),
  };
}
