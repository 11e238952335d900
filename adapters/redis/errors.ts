import type { CheckpointErrorCode, CheckpointErrorDetails } from '../../src/errors.js';
import { CheckpointError, isCheckpointError } from '../../src/errors.js';

/**
 * The adapter name in the errors of the adapter's parts.
 *
 * @example
 * ```ts
 * new CheckpointError('closed', { adapter: NAME });
 * ```
 */
export const NAME = 'redis';

/**
 * The {@link CheckpointErrorCode} of an error from ioredis or the socket under
 * it (errno, error name, or the server's error prefix).
 *
 * @example
 * ```ts
 * codeOf(new Error('READONLY You can't write against a read only replica.')); // 'read-only'
 * ```
 */
export function codeOf(error: unknown): CheckpointErrorCode {
  if (isCheckpointError(error)) return error.code;
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (
    /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ECONNABORTED)$/.test(
      code,
    ) ||
    e?.name === 'MaxRetriesPerRequestError' ||
    /connection is closed|stream isn't writeable|connect ETIMEDOUT|LOADING/i.test(message)
  ) {
    return 'connection';
  }
  // ioredis's commandTimeout: no answer yet, but the command may still run (a write is in doubt).
  if (/^Command timed out/.test(message)) return 'timeout';
  if (message.startsWith('OOM')) return 'storage-full';
  if (/^(NOAUTH|WRONGPASS)/.test(message)) return 'auth';
  if (message.startsWith('NOPERM')) return 'permission';
  if (message.startsWith('READONLY')) return 'read-only';
  return 'io';
}

/**
 * The typed error for an ioredis failure; connection and login failures name `server`.
 *
 * @example
 * ```ts
 * failure(new Error('Connection is closed.'), { key: 'order-1' }, 'redis://127.0.0.1:6379/0').code; // 'connection'
 * ```
 */
export function failure(error: unknown, details: CheckpointErrorDetails, server?: string): CheckpointError {
  if (isCheckpointError(error)) return error;
  const code = codeOf(error);
  const named = server !== undefined && (code === 'connection' || code === 'auth');
  const detail = details.detail ?? (error instanceof Error ? error.message : undefined);
  return new CheckpointError(code, {
    adapter: NAME,
    ...details,
    ...(named ? { detail: `${server}: ${detail ?? 'no answer'}` } : {}),
    cause: error,
  });
}

/**
 * The `closed` error of a call after `dispose()`.
 *
 * @example
 * ```ts
 * if (io.disposed) throw closed(key);
 * ```
 */
export const closed = (key?: string): CheckpointError => new CheckpointError('closed', { key, adapter: NAME });
