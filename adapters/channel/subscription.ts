import type { CheckpointAdapter, GenerationNotice } from '../../src/adapter.js';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { unrefTimer } from '../shared/clock.js';

/** One client's subscription on the serving side: the newest notice not yet fetched, and the call waiting for one. */
export interface ServedSubscription {
  /** The newest notice since the last call, or (after up to `waitMs`) `null`. */
  next(waitMs: number): Promise<GenerationNotice | null>;
  /** Ends the adapter subscription and answers a waiting call with `null`. */
  stop(): void;
}

/**
 * Serves one client's subscription: the adapter's notices for `key` wait here
 * until the client's next `notices` call (a long poll of up to `waitMs`).
 *
 * @example
 * ```ts
 * import { servedSubscription } from './subscription.js';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const adapter = memoryAdapter();
 * const served = servedSubscription(adapter.subscribe!.bind(adapter), 'k', systemClock);
 * await served.next(1000); // null after 1 s without a write of 'k'
 * served.stop();
 * ```
 */
export function servedSubscription(
  subscribe: NonNullable<CheckpointAdapter['subscribe']>,
  key: string,
  clock: Clock,
): ServedSubscription {
  // Notices between two calls merge into the newest: a follower only needs to know it is behind.
  let pending: GenerationNotice | undefined;
  let waiting: ((notice: GenerationNotice | null) => void) | undefined;
  let timer: TimerHandle;
  const answer = (notice: GenerationNotice | null) => {
    const resolve = waiting;
    waiting = undefined;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    resolve?.(notice);
  };
  const unsubscribe = subscribe(key, (notice) => {
    if (pending === undefined || notice.seq > pending.seq) pending = notice;
    if (waiting) {
      const newest = pending;
      pending = undefined;
      answer(newest);
    }
  });
  return {
    next(waitMs) {
      if (pending !== undefined) {
        const newest = pending;
        pending = undefined;
        return Promise.resolve(newest);
      }
      answer(null); // one waiting call per subscription: an older one gives way
      return new Promise((resolve) => {
        waiting = resolve;
        timer = clock.setTimeout(() => answer(null), waitMs);
        // The served process's life is its own business, not a waiting client's.
        unrefTimer(timer);
      });
    },
    stop() {
      unsubscribe();
      answer(null);
    },
  };
}
