import { CheckpointError } from '../../src/errors.js';

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

/** A write the store refused, and what the key's head said when it did. */
export interface RefusedWrite {
  readonly adapter: string;
  readonly key: string;
  readonly seq: number;
  /** The writer's epoch. */
  readonly epoch: number;
  /** The key's newest generation and epoch. */
  readonly headSeq: number;
  readonly headEpoch: number;
}

/**
 * The error for a compare-and-set write a server store refused: `fenced` when
 * the writer's epoch is older than the key's (another writer took the key),
 * otherwise `conflict` (the generation already exists).
 *
 * @example
 * ```ts
 * import { refusedWrite } from './records.js';
 * refusedWrite({ adapter: 'redis', key: 'k', seq: 3, epoch: 1, headSeq: 3, headEpoch: 2 }).code; // 'fenced'
 * ```
 */
export function refusedWrite(r: RefusedWrite): CheckpointError {
  const { adapter, key, seq, epoch, headSeq, headEpoch } = r;
  if (epoch < headEpoch) {
    return new CheckpointError('fenced', {
      key,
      seq,
      adapter,
      detail: `epoch ${epoch} is older than the key's epoch ${headEpoch}`,
      data: { epoch, currentEpoch: headEpoch },
    });
  }
  return new CheckpointError('conflict', {
    key,
    seq,
    adapter,
    detail: `generation ${headSeq} already exists`,
    data: { newest: headSeq },
  });
}
