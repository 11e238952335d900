import type { CheckpointRecord } from './adapter.js';
import { CheckpointError } from './errors.js';

/**
 * Refuses a record an adapter cannot store (`invalid-option`): it needs an
 * integer seq >= 1, an integer epoch >= 0 and Uint8Array bytes.
 *
 * @example
 * ```ts
 * import { checkRecord } from 'xstate-checkpoint/adapter-kit';
 * checkRecord('redis', 'order-1', { seq: 1, epoch: 0, createdAt: 0, bytes: new Uint8Array(1) });
 * ```
 */
export function checkRecord(adapter: string, key: string, record: CheckpointRecord): void {
  const ok = (v: number, min: number) => Number.isSafeInteger(v) && v >= min;
  if (!ok(record.seq, 1) || !ok(record.epoch, 0) || !(record.bytes instanceof Uint8Array)) {
    throw new CheckpointError('invalid-option', {
      key,
      adapter,
      seq: record.seq,
      detail: 'a record needs an integer seq >= 1, an integer epoch >= 0 and Uint8Array bytes',
    });
  }
}
