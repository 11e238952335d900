import { CheckpointError } from './errors.js';

/**
 * Migration steps: `migrations[n]` turns a persisted snapshot of version `n`
 * into one of version `n + 1`. Steps are pure: they get a decoded copy and
 * return the new snapshot (mutating the argument is fine).
 */
// `any` on purpose: a step sees the old shape, which no type of the running code describes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Migrations = Readonly<Record<number, (snapshot: any) => unknown>>;

/** Result of {@link migrateSnapshot}. */
export interface MigrationResult {
  readonly snapshot: unknown;
  /** The versions whose step ran, in order (`[1, 2]` = steps 1→2 and 2→3). */
  readonly applied: number[];
}

/**
 * Runs the migration chain from `fromVersion` to `toVersion`, one step per
 * version. Throws `version-too-new` when the stored version is newer than the
 * code, `migration-missing` naming `migrations[n]` when a step is absent,
 * and `migration-failed` naming the step that threw.
 *
 * @example
 * ```ts
 * import { migrateSnapshot } from 'xstate-checkpoint';
 * const { snapshot } = migrateSnapshot({ value: 'old', context: {} }, 1, 2, {
 *   1: (s) => ({ ...s, value: s.value === 'old' ? 'new' : s.value }),
 * });
 * ```
 */
export function migrateSnapshot(
  snapshot: unknown,
  fromVersion: number,
  toVersion: number,
  migrations: Migrations = {},
): MigrationResult {
  if (fromVersion > toVersion) {
    throw new CheckpointError('version-too-new', {
      fromVersion,
      toVersion,
      detail: `stored version ${fromVersion} is newer than the running version ${toVersion}`,
    });
  }
  let current = snapshot;
  const applied: number[] = [];
  for (let v = fromVersion; v < toVersion; v++) {
    const step = Object.hasOwn(migrations, v) ? migrations[v] : undefined;
    if (typeof step !== 'function') {
      throw new CheckpointError('migration-missing', {
        fromVersion,
        toVersion,
        detail: `migrations[${v}] (version ${v} → ${v + 1}) is missing`,
      });
    }
    try {
      current = step(current);
    } catch (cause) {
      throw new CheckpointError('migration-failed', {
        fromVersion,
        toVersion,
        cause,
        detail: `migrations[${v}] (version ${v} → ${v + 1}) threw: ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
    if (typeof current !== 'object' || current === null) {
      throw new CheckpointError('migration-failed', {
        fromVersion,
        toVersion,
        detail: `migrations[${v}] returned ${current === null ? 'null' : typeof current}, not a snapshot object`,
      });
    }
    applied.push(v);
  }
  return { snapshot: current, applied };
}

/**
 * Checks the `migrations` option against the running version; throws
 * `invalid-option` for steps that are not functions, keys that are not
 * versions below the running one, or a hole in the chain (steps 1 and 3 of
 * version 4 without step 2).
 *
 * @example
 * ```ts
 * import { checkMigrations } from 'xstate-checkpoint';
 * checkMigrations({ 1: (s) => s }, 2);
 * ```
 */
export function checkMigrations(migrations: Migrations, version: number): void {
  const steps: number[] = [];
  for (const key of Object.keys(migrations)) {
    const n = Number(key);
    if (!Number.isInteger(n) || n < 1 || n >= version) {
      const range = version > 1 ? `versions 1 to ${version - 1}` : 'none at version 1 (nothing is older)';
      throw new CheckpointError('invalid-option', {
        detail: `migrations[${key}] does not fit version ${version}: keys are ${range}, each stepping to the next`,
      });
    }
    if (typeof migrations[n] !== 'function') {
      throw new CheckpointError('invalid-option', { detail: `migrations[${key}] is not a function` });
    }
    steps.push(n);
  }
  // A hole makes every step below it dead code and every checkpoint below it unmigratable:
  // almost always a forgotten step, so say so at start-up rather than at the first restore.
  const lowest = Math.min(...steps);
  for (let n = lowest + 1; n < version; n++) {
    if (!Object.hasOwn(migrations, n)) {
      throw new CheckpointError('invalid-option', {
        detail: `migrations[${n}] is missing: the chain from version ${lowest} to ${version} has a hole; add the step (or drop the steps below it)`,
      });
    }
  }
}
