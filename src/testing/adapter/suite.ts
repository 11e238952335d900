import type { CheckpointAdapter, CheckpointRecord } from '../../adapter.js';
import type { TestApi, TestBody } from '../test-api.js';

/** What a conformance run needs: a fresh, empty adapter per test, and a way to clean up. */
export interface ConformanceTarget {
  /** A new adapter over an empty store. Called before every test. */
  create(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /**
   * A second adapter over the same store as the last `create()` (another
   * process or tab in real life). Enables the cross-writer cases.
   */
  createPeer?(): Promise<CheckpointAdapter> | CheckpointAdapter;
  /** Removes what the test left behind. */
  cleanup?(): Promise<void> | void;
  /** Skip the multi-megabyte record case (slow stores). @default false */
  skipLarge?: boolean;
}

/**
 * What the case groups of {@link adapterConformance} share: the runner's
 * functions, the target, and the adapter of the running case.
 *
 * @example
 * ```ts
 * const seqs = await suite.seqs('k'); // the sequences `list('k')` returns, newest first
 * ```
 */
export interface AdapterSuite {
  readonly describe: TestApi['describe'];
  readonly it: TestApi['it'];
  /** Registers a case the target opts out of, reported skipped (`it.skip`), where the runner has it. */
  readonly skip: (title: string, body: TestBody) => unknown;
  readonly target: ConformanceTarget;
  /** The adapter of the running case: a new one over an empty store per case. */
  readonly adapter: CheckpointAdapter;
  /** A second adapter over the same store (`createPeer`), disposed after the case. */
  peer(): Promise<CheckpointAdapter>;
  /** The sequences of `key` as the adapter lists them. */
  seqs(key: string): Promise<number[]>;
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

/**
 * A record with the given seq (and epoch), its bytes derived from both so
 * mix-ups show; with `size`, that many pattern bytes.
 *
 * @example
 * ```ts
 * import { conformanceRecord } from 'xstate-checkpoint/testing';
 * const r = conformanceRecord(2, 1); // seq 2, epoch 1
 * ```
 */
export function conformanceRecord(seq: number, epoch = 0, size?: number): CheckpointRecord {
  let bytes: Uint8Array;
  if (size === undefined) bytes = bytesOf(`generation ${seq} epoch ${epoch}`);
  else {
    bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seq) & 0xff;
  }
  return { seq, epoch, createdAt: 1_700_000_000_000 + seq, byteLength: bytes.length, bytes };
}
