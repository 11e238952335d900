import type { CheckpointError, CheckpointErrorCode } from '../src/errors.js';
import { problemText } from './generation.js';

/** Codes that describe stored data a restore would refuse (and quarantine), not the storage. */
const DATA_CODES: ReadonlySet<CheckpointErrorCode> = new Set([
  'corrupt',
  'decode',
  'unsafe-payload',
  'too-large',
  'too-deep',
  'machine-mismatch',
  'migration-missing',
  'migration-failed',
  'version-too-new',
  'validation',
  'invalid-state',
  'unknown-child',
]);

/**
 * The message the CLI prints for an error. The core's advice for bad data
 * speaks of what a restore does ("the generation was quarantined"); the CLI
 * only reads, so for those codes it says what happened and what to run next.
 *
 * @example
 * ```ts
 * import { CheckpointError } from '../src/errors.js';
 * import { failureText } from './failure.js';
 * failureText(new CheckpointError('corrupt', { key: 'order-1', seq: 3, detail: 'payload checksum mismatch' }));
 * // 'key "order-1" generation 3: corrupt: payload checksum mismatch. Nothing was changed: ...'
 * ```
 */
export function failureText(error: CheckpointError): string {
  if (!DATA_CODES.has(error.code)) return error.message;
  const where = [
    error.adapter === undefined ? undefined : `[${error.adapter}]`,
    error.key === undefined ? undefined : `key "${error.key}"`,
    error.seq === undefined ? undefined : `generation ${error.seq}`,
  ]
    .filter((part) => part !== undefined)
    .join(' ');
  const key =
    error.key === undefined ? '' : /^[\w.:@/-]+$/.test(error.key) ? ` ${error.key}` : ` ${JSON.stringify(error.key)}`;
  const verify = `\`xstate-checkpoint verify${key}\``;
  return (
    `${where ? `${where}: ` : ''}${problemText(error)}. Nothing was changed: the CLI only read it. ` +
    `A restore would quarantine this generation and fall back to an older one; ${verify} lists which generations are sound.`
  );
}
