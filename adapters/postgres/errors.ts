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
export const NAME = 'postgres';

const CONNECTION_CODES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend or a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting or stopping
  '57P05', // idle_session_timeout: the server closed an idle connection
  '53300', // too_many_connections
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * The {@link CheckpointErrorCode} of an error from `pg` or the socket under
 * it (SQLSTATE or errno), shared by the adapter and its journal.
 *
 * @example
 * ```ts
 * import { postgresErrorCode } from 'xstate-checkpoint/adapters/postgres';
 * postgresErrorCode(Object.assign(new Error('disk full'), { code: '53100' })); // 'storage-full'
 * ```
 */
export function postgresErrorCode(error: unknown): CheckpointErrorCode {
  if (isCheckpointError(error)) return error.code;
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : '';
  if (code.startsWith('08') || CONNECTION_CODES.has(code)) return 'connection';
  if (code === '53100') return 'storage-full';
  // Class 28: invalid authorization (wrong password, no pg_hba.conf entry for this user).
  if (code.startsWith('28')) return 'auth';
  if (code === '42501') return 'permission';
  if (code === '25006') return 'read-only';
  if (code === '57014') return 'timeout';
  if (code === '23505') return 'conflict';
  // pg reports a socket that closed under it without a code.
  const message = error instanceof Error ? error.message : '';
  // pg's own check before SCRAM when the server asks for a password none was given for.
  if (/^SASL: /.test(message)) return 'auth';
  if (/connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(message)) {
    return 'connection';
  }
  return 'io';
}

/**
 * The typed error for a `pg` failure. Connection and login failures name the
 * server (`server`, without its password), so the message says which one.
 *
 * @example
 * ```ts
 * failure(new Error('Connection terminated'), { key: 'order-1' }, 'postgresql://app@db:5432/app').code; // 'connection'
 * ```
 */
export function failure(error: unknown, details: CheckpointErrorDetails, server?: string): CheckpointError {
  if (isCheckpointError(error)) return error;
  const raw = (error as { code?: unknown } | null)?.code;
  const sqlState = typeof raw === 'string' ? raw : undefined;
  const code = postgresErrorCode(error);
  const detail = details.detail ?? (error instanceof Error ? error.message : undefined);
  const named = server !== undefined && (code === 'connection' || code === 'auth');
  return new CheckpointError(code, {
    adapter: NAME,
    ...details,
    ...(named ? { detail: `${server}: ${detail ?? 'no answer'}` } : {}),
    cause: error,
    ...(sqlState === undefined ? {} : { data: { ...details.data, code: sqlState } }),
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
