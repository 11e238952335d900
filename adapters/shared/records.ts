import type { CheckpointRecord } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';

/**
 * Refuses a record a server adapter cannot store (`invalid-option`): it needs an
 * integer seq >= 1, an integer epoch >= 0 and Uint8Array bytes.
 *
 * @example
 * ```ts
 * import { checkRecord } from './records.js';
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

/** Writes whose outcome is unknown (the connection was lost after sending), by key and seq. */
export interface InDoubtWrites {
  /** Marks a write as in doubt; the oldest mark goes when 1024 are held. */
  mark(key: string, seq: number): void;
  has(key: string, seq: number): boolean;
  /** Forgets a mark; `true` when there was one. */
  settle(key: string, seq: number): boolean;
  clear(): void;
}

/**
 * The bounded set of in-doubt writes a server adapter keeps, so a retry of the same
 * bytes that meets its own generation reports success instead of a conflict.
 *
 * @example
 * ```ts
 * import { inDoubtWrites } from './records.js';
 * const inDoubt = inDoubtWrites();
 * inDoubt.mark('order-1', 2);
 * inDoubt.settle('order-1', 2); // true
 * ```
 */
export function inDoubtWrites(): InDoubtWrites {
  const slots = new Set<string>();
  const slot = (key: string, seq: number) => `${seq}\0${key}`;
  return {
    mark(key, seq) {
      if (slots.size >= 1024) slots.delete(slots.values().next().value!);
      slots.add(slot(key, seq));
    },
    has: (key, seq) => slots.has(slot(key, seq)),
    settle: (key, seq) => slots.delete(slot(key, seq)),
    clear: () => slots.clear(),
  };
}
