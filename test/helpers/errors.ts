import { isCheckpointError, type CheckpointError } from 'xstate-checkpoint';

const describeError = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : `${typeof error} ${String(error)}`;

/**
 * The CheckpointError that `fn` throws (or that `promise` rejects with). The
 * test fails when nothing is thrown or when the error is of another class:
 * every failure of the kit is a CheckpointError.
 *
 * @example
 * ```ts
 * expect(errorOf(() => codec.decode(bytes)).code).toBe('too-deep');
 * expect((await errorOf(adapter.write('k', record(1)))).key).toBe('k');
 * ```
 */
export function errorOf(fn: () => unknown): CheckpointError;
export function errorOf(promise: Promise<unknown>): Promise<CheckpointError>;
export function errorOf(what: (() => unknown) | Promise<unknown>): CheckpointError | Promise<CheckpointError> {
  const typed = (error: unknown): CheckpointError => {
    if (isCheckpointError(error)) return error;
    throw new Error(`expected a CheckpointError, got ${describeError(error)}`, { cause: error });
  };
  const nothing = (how: string) => new Error(`expected a CheckpointError, ${how}`);
  if (typeof what === 'function') {
    try {
      what();
    } catch (error) {
      return typed(error);
    }
    throw nothing('nothing was thrown');
  }
  return what.then(
    () => {
      throw nothing('the call succeeded');
    },
    (error: unknown) => typed(error),
  );
}

/**
 * The code of the CheckpointError `promise` rejects with, or `'ok'` when it
 * resolves; any other error fails the test as it was thrown. With `adapter`,
 * the error must also name that adapter.
 *
 * @example
 * ```ts
 * expect(await codeOf(adapter.write('k', record(1)))).toBe('conflict');
 * expect(await codeOf(adapter.read('k', 1), { adapter: 'fs' })).toBe('io');
 * ```
 */
export async function codeOf(promise: Promise<unknown>, options: { adapter?: string } = {}): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (!isCheckpointError(error)) throw error;
    if (options.adapter !== undefined && error.adapter !== options.adapter) {
      throw new Error(
        `expected the ${error.code} error to name adapter ${options.adapter}, it names ${error.adapter}`,
        {
          cause: error,
        },
      );
    }
    return error.code;
  }
}
