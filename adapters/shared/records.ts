export { checkRecord } from '../../src/record-check.js';

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
