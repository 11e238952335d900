import { CheckpointError } from '../../src/errors.js';

/** An append the key's journal state refuses, see {@link appendRefusal}. */
export interface RefusedAppend {
  readonly adapter: string;
  readonly key: string;
  /** The first sequence of the group. */
  readonly first: number;
  /** The appender's epoch, and the key's (its lock or lease epoch, or the newest appended). */
  readonly epoch: number;
  readonly keyEpoch: number;
  /** The key's last stored sequence. */
  readonly lastSeq: number;
}

/**
 * `fenced` for an append whose epoch is older than the key's.
 *
 * @example
 * ```ts
 * import { fencedAppend } from './journal-refusal.js';
 * fencedAppend({ adapter: 'fs', key: 'k', first: 4, epoch: 1, keyEpoch: 2, lastSeq: 3 }).code; // 'fenced'
 * ```
 */
export function fencedAppend(r: Omit<RefusedAppend, 'lastSeq'>): CheckpointError {
  return new CheckpointError('fenced', {
    key: r.key,
    adapter: r.adapter,
    seq: r.first,
    detail: `epoch ${r.epoch} is older than the key's epoch ${r.keyEpoch}`,
  });
}

/**
 * `conflict` for an append that does not start after the key's last entry.
 *
 * @example
 * ```ts
 * import { conflictingAppend } from './journal-refusal.js';
 * conflictingAppend({ adapter: 'fs', key: 'k', first: 3, lastSeq: 3 }).code; // 'conflict'
 * ```
 */
export function conflictingAppend(r: Pick<RefusedAppend, 'adapter' | 'key' | 'first' | 'lastSeq'>): CheckpointError {
  return new CheckpointError('conflict', {
    key: r.key,
    adapter: r.adapter,
    seq: r.first,
    detail: `journal entry ${r.lastSeq} already exists`,
  });
}

/**
 * Why the key's journal state refuses an append, the fencing checked first;
 * `undefined` when it takes it.
 *
 * @example
 * ```ts
 * import { appendRefusal } from './journal-refusal.js';
 * appendRefusal({ adapter: 'fs', key: 'k', first: 4, epoch: 2, keyEpoch: 2, lastSeq: 3 }); // undefined
 * ```
 */
export function appendRefusal(r: RefusedAppend): CheckpointError | undefined {
  if (r.epoch < r.keyEpoch) return fencedAppend(r);
  if (r.first <= r.lastSeq) return conflictingAppend(r);
  return undefined;
}
