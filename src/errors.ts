/**
 * Every failure the kit reports has one of these codes. Switch on `error.code`,
 * never on the message.
 */
export type CheckpointErrorCode =
  /** A generation with this sequence (or a newer one) already exists: another writer got there first. */
  | 'conflict'
  /** A writer with a newer fencing epoch owns the key; this writer must stop. */
  | 'fenced'
  /** Another live holder owns the key's lock. */
  | 'lock-held'
  /** Bytes do not match their length or checksum, or the envelope is malformed. */
  | 'corrupt'
  /** The payload could not be decoded (bad UTF-8, bad JSON, bad tags). */
  | 'decode'
  /** The payload tries to set `__proto__` or walk through a prototype. */
  | 'unsafe-payload'
  /** The payload is larger than `maxBytes`, or holds more values than `maxValues`. */
  | 'too-large'
  /** The payload nests deeper than `maxDepth`. */
  | 'too-deep'
  /** A value in the snapshot cannot be encoded. */
  | 'encode'
  /** The checkpoint was written by a different machine id. */
  | 'machine-mismatch'
  /** No migration step exists from a stored version. */
  | 'migration-missing'
  /** A migration step threw. */
  | 'migration-failed'
  /** The checkpoint was written by a newer version of the machine than the running code. */
  | 'version-too-new'
  /** The context failed the schema. */
  | 'validation'
  /** The state value names a state the machine does not have. */
  | 'invalid-state'
  /** A child actor's `src` is not known to the machine. */
  | 'unknown-child'
  /** Every generation failed to restore and `onRestoreError` is `'throw'`. */
  | 'restore-failed'
  /** The storage is full (disk full, quota exceeded). */
  | 'storage-full'
  /** The storage refused access (permissions). */
  | 'permission'
  /** The storage is read-only. */
  | 'read-only'
  /** Any other I/O failure of the storage. */
  | 'io'
  /** The connection to a storage server failed or was lost. */
  | 'connection'
  /** The storage server refused the credentials (user, password, certificate). */
  | 'auth'
  /** The adapter's database driver (`pg`, `ioredis`) is not installed. */
  | 'driver-missing'
  /** The key cannot be stored (empty, too long for the adapter, or containing NUL). */
  | 'invalid-key'
  /** An option has a value the kit cannot use. */
  | 'invalid-option'
  /** The requested generation or record does not exist. */
  | 'not-found'
  /** The adapter or the persisted actor was already closed. */
  | 'closed'
  /** The operation did not finish in time. */
  | 'timeout';

/** Structured fields an error may carry besides its code. */
export interface CheckpointErrorDetails {
  /** The actor key the operation was for. */
  key?: string | undefined;
  /** The adapter's name (`memory`, `fs`, `indexeddb`, ...). */
  adapter?: string | undefined;
  /** The generation sequence involved. */
  seq?: number | undefined;
  /** The stored machine version (migration errors). */
  fromVersion?: number | undefined;
  /** The running machine version (migration errors). */
  toVersion?: number | undefined;
  /** Where in the data the problem is (validation, decoding). */
  path?: ReadonlyArray<PropertyKey> | undefined;
  /** What went wrong underneath. */
  cause?: unknown;
  /** A short specific explanation that goes before the advice. */
  detail?: string | undefined;
  /** Anything else worth reporting (e.g. a storage estimate). */
  data?: Record<string, unknown> | undefined;
}

// One short sentence per code saying what to do (it ships in every browser bundle: keep it short).
const advice: Record<CheckpointErrorCode, string> = {
  conflict: 'Restore again, or give each writer its own key.',
  fenced: 'A newer owner holds the key: stop this actor.',
  'lock-held': 'Another process or tab owns the key: wait, or use another key.',
  corrupt: 'Run `xstate-checkpoint verify`.',
  decode: 'Check that `codec` matches the one that wrote it.',
  'unsafe-payload': 'Treat the store as tampered with.',
  'too-large': 'Raise `limits` if this size is expected.',
  'too-deep': 'Raise `limits.maxDepth` if this is expected.',
  encode: 'Keep context to data: no functions or live handles.',
  'machine-mismatch': 'Use one `key` per machine.',
  'migration-missing': 'Add the step to `migrations`.',
  'migration-failed': 'Fix that step; the checkpoint is unchanged.',
  'version-too-new': 'Deploy the newer code, or use `history.rollback`.',
  validation: 'Fix the data, or migrate it to the schema.',
  'invalid-state': 'Migrate it to a state that exists.',
  'unknown-child': 'Register the child in `setup({ actors })`.',
  'restore-failed': 'See `error.data.rejected`, or use `onRestoreError: "fallback"`.',
  'storage-full': 'Free space or lower `retain.latest`; the last generation is intact.',
  permission: 'Grant write access to the storage.',
  'read-only': 'Use a writable location; restore still works.',
  io: 'The last generation is intact; retry.',
  connection: 'Check the server and the connection settings; it retries.',
  auth: 'Check the user name, the password and the connection string.',
  'driver-missing': 'Install `pg` or `ioredis`.',
  'invalid-key': 'Use a non-empty key without NUL.',
  'invalid-option': 'Fix the option.',
  'not-found': 'List what exists (`persisted.history.list()`, `npx xstate-checkpoint ls`).',
  closed: 'Create a new one.',
  timeout: 'Check the storage and retry.',
};

const brand = Symbol.for('xstate-checkpoint.error');

/**
 * The one error class of the kit: a `code` to switch on, structured fields, and
 * a message that says what to do.
 *
 * @example
 * ```ts
 * import { CheckpointError, isCheckpointError } from 'xstate-checkpoint';
 *
 * try {
 *   throw new CheckpointError('conflict', { key: 'order-1', adapter: 'memory' });
 * } catch (error) {
 *   if (isCheckpointError(error) && error.code === 'conflict') {
 *     console.log(error.key); // 'order-1'
 *   }
 * }
 * ```
 */
export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;
  readonly key: string | undefined;
  readonly adapter: string | undefined;
  readonly seq: number | undefined;
  readonly fromVersion: number | undefined;
  readonly toVersion: number | undefined;
  readonly path: ReadonlyArray<PropertyKey> | undefined;
  readonly data: Record<string, unknown> | undefined;
  readonly detail: string | undefined;
  readonly [brand] = true;

  constructor(code: CheckpointErrorCode, details: CheckpointErrorDetails = {}) {
    super(formatMessage(code, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CheckpointError';
    this.code = code;
    this.key = details.key;
    this.adapter = details.adapter;
    this.seq = details.seq;
    this.fromVersion = details.fromVersion;
    this.toVersion = details.toVersion;
    this.path = details.path;
    this.data = details.data;
    this.detail = details.detail;
  }
}

function formatMessage(code: CheckpointErrorCode, d: CheckpointErrorDetails): string {
  const where = [
    d.adapter === undefined ? undefined : `[${d.adapter}]`,
    d.key === undefined ? undefined : `key "${d.key}"`,
    d.seq === undefined ? undefined : `generation ${d.seq}`,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
  const path = d.path && d.path.length > 0 ? ` at ${d.path.map(String).join('.')}` : '';
  const detail = d.detail ?? (d.cause instanceof Error ? d.cause.message : undefined);
  // Driver messages often end with a period of their own.
  const said = detail?.replace(/\.+$/, '');
  return `${where ? `${where}: ` : ''}${code}${path}${said ? `: ${said}` : ''}. ${advice[code]}`;
}

/**
 * True when `value` is a {@link CheckpointError}, also across bundle copies of
 * the kit (the check uses a global symbol, not `instanceof`).
 *
 * @example
 * ```ts
 * import { isCheckpointError } from 'xstate-checkpoint';
 * const handle = (error: unknown) => (isCheckpointError(error) ? error.code : 'unknown');
 * ```
 */
export function isCheckpointError(value: unknown): value is CheckpointError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * Wraps any thrown value into a {@link CheckpointError}, keeping existing ones
 * and adding the key and adapter where they are missing.
 *
 * @example
 * ```ts
 * import { toCheckpointError } from 'xstate-checkpoint/adapter-kit';
 * const error = toCheckpointError(new Error('EIO'), 'io', { key: 'k', adapter: 'fs' });
 * ```
 */
export function toCheckpointError(
  value: unknown,
  fallback: CheckpointErrorCode,
  details: CheckpointErrorDetails = {},
): CheckpointError {
  if (isCheckpointError(value)) {
    if (
      (value.key === undefined && details.key !== undefined) ||
      (value.adapter === undefined && details.adapter !== undefined)
    ) {
      return new CheckpointError(value.code, {
        key: value.key ?? details.key,
        adapter: value.adapter ?? details.adapter,
        seq: value.seq ?? details.seq,
        fromVersion: value.fromVersion,
        toVersion: value.toVersion,
        path: value.path,
        data: value.data,
        detail: value.detail,
        cause: value.cause,
      });
    }
    return value;
  }
  return new CheckpointError(fallback, { ...details, cause: value });
}
