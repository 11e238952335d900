import type { CheckpointAdapter } from './adapter.js';
import type { Clock, TimerHandle } from './clock.js';

/** Options of {@link watchGenerations}. */
export interface WatchGenerationsOptions {
  /** Time source for polling. */
  readonly clock: Clock;
  /** Polling interval when the adapter has no `subscribe`. @default 1000 */
  readonly pollMs?: number;
  /**
   * With `subscribe`: also poll this often, for notices a frozen tab or a
   * dropped connection missed. @default 10000
   */
  readonly resyncMs?: number;
  /** Failures of `list()` while polling or of `onNewer` (watching goes on). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Calls `onNewer(seq)` whenever `key` gets a generation newer than any seen so
 * far (starting above `fromSeq`). Notices come from the adapter's `subscribe`
 * when it has one (IndexedDB: a `BroadcastChannel` between tabs), checked by
 * a slow poll every `resyncMs`; else from polling `list()` every `pollMs`. Calls never overlap: notices arriving while
 * `onNewer` runs are merged into one call with the newest sequence.
 *
 * @returns A function that stops watching.
 * @example
 * ```ts
 * import { systemClock, watchGenerations } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * const stop = watchGenerations(memoryAdapter(), 'cart', 0, async (seq) => console.log('new generation', seq), {
 *   clock: systemClock,
 * });
 * stop();
 * ```
 */
export function watchGenerations(
  adapter: CheckpointAdapter,
  key: string,
  fromSeq: number,
  onNewer: (seq: number) => Promise<void>,
  options: WatchGenerationsOptions,
): () => void {
  const { clock } = options;
  const onError = options.onError ?? (() => undefined);
  let seen = fromSeq;
  let wanted = fromSeq;
  let running = false;
  let stopped = false;

  const drain = async () => {
    if (running) return;
    running = true;
    try {
      while (!stopped && wanted > seen) {
        const seq = wanted;
        seen = seq;
        await onNewer(seq).catch(onError);
      }
    } finally {
      running = false;
    }
  };
  const hint = (seq: number) => {
    if (stopped || seq <= wanted) return;
    wanted = seq;
    void drain();
  };

  const unsubscribe = adapter.subscribe?.(key, (notice) => hint(notice.seq));
  const pollMs = unsubscribe ? (options.resyncMs ?? 10_000) : (options.pollMs ?? 1000);
  let timer: TimerHandle;
  const poll = async () => {
    try {
      const [newest] = await adapter.list(key);
      if (newest) hint(newest.seq);
    } catch (error) {
      onError(error);
    }
    if (!stopped) timer = clock.setTimeout(() => void poll(), pollMs);
  };
  timer = clock.setTimeout(() => void poll(), pollMs);
  return () => {
    stopped = true;
    unsubscribe?.();
    clock.clearTimeout(timer);
  };
}
