import { CheckpointError } from './errors.js';

/**
 * A part of the kit that only some apps or some payloads need, loaded with a
 * dynamic `import()` the first time it is asked for. Synchronous steps take it
 * with {@link OnDemand.need}; their async caller runs them through
 * {@link withParts}, which loads what they asked for and runs them again.
 */
export interface OnDemand<T> {
  /** The part once loaded, else `undefined`. */
  readonly loaded: T | undefined;
  /** The part; throws {@link NotLoadedError} (an `io` error) when it is not loaded yet. */
  need(): T;
  /**
   * Loads the part (once). A failed `import()` (offline, or a deploy removed
   * the old chunk files) rejects with `io` naming the part, and is tried again
   * on the next call: only success is kept.
   */
  load(): Promise<T>;
}

// Errors `need()` threw, to the part they wait for: an escaped one is still an `io` CheckpointError.
const waiting = new WeakMap<object, OnDemand<unknown>>();

/**
 * The {@link OnDemand} part `what` (a few words for error messages), loaded by `importer`.
 *
 * @example
 * ```ts
 * import { onDemand } from './on-demand.js';
 * const migrate = onDemand('the migration code', () => import('./migrate.js'));
 * const { migrateSnapshot } = await migrate.load();
 * ```
 */
export function onDemand<T>(what: string, importer: () => Promise<T>): OnDemand<T> {
  let pending: Promise<T> | undefined;
  const part: OnDemand<T> & { loaded: T | undefined } = {
    loaded: undefined,
    need() {
      if (part.loaded !== undefined) return part.loaded;
      const error = new CheckpointError('io', { detail: `${what} is not loaded yet` });
      waiting.set(error, part);
      throw error;
    },
    load() {
      pending ??= importer().then(
        (value) => (part.loaded = value),
        (cause: unknown) => {
          pending = undefined;
          throw new CheckpointError('io', {
            detail: `could not load ${what} (a network failure, or a deploy replaced the app's files: reload the page)`,
            cause,
          });
        },
      );
      return pending;
    },
  };
  return part;
}

/**
 * Runs a synchronous `step`; when it asks for a part that is not loaded yet,
 * loads it and runs `step` again from the start (so a step that captures state
 * captures it again). Rejects with the `io` error of a part that cannot load.
 *
 * @example
 * ```ts
 * import { onDemand, withParts } from './on-demand.js';
 * const extra = onDemand('the extra code', async () => ({ twice: (n: number) => 2 * n }));
 * await withParts(() => extra.need().twice(21)); // 42
 * ```
 */
export async function withParts<T>(step: () => T): Promise<T> {
  for (;;) {
    try {
      return step();
    } catch (error) {
      const part = typeof error === 'object' && error !== null ? waiting.get(error) : undefined;
      if (part === undefined) throw error;
      await part.load();
    }
  }
}
