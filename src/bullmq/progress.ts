// Job progress from the actor's progress events: one `updateProgress` in flight, the newest report wins.
import type { CheckpointEvent } from '../events.js';

/** A `progress` event of `persistActor`. */
export type ActorProgressEvent = Extract<CheckpointEvent, { type: 'progress' }>;

/** Sends progress reports one at a time; `drain` resolves once the newest one was sent. */
export interface ProgressForwarder {
  report(progress: number | object): void;
  drain(): Promise<void>;
}

/**
 * Forwards reports to `send` with at most one call in flight: reports that
 * arrive meanwhile are coalesced into the newest, so a batch reporting every
 * item costs one Redis round trip at a time, not one per item. A failed send
 * goes to `onError` and does not stop later ones.
 *
 * @example
 * ```ts
 * import { forwardProgress } from './progress.js';
 * const forward = forwardProgress(async (p) => console.log(p), console.error);
 * forward.report({ done: 1 });
 * await forward.drain();
 * ```
 */
export function forwardProgress(
  send: (progress: number | object) => Promise<void>,
  onError: (error: unknown) => void,
): ProgressForwarder {
  let pending: { value: number | object } | undefined;
  let running: Promise<void> | undefined;
  const pump = async () => {
    while (pending) {
      const { value } = pending;
      pending = undefined;
      await send(value).catch(onError);
    }
    running = undefined;
  };
  return {
    report(progress) {
      pending = { value: progress };
      running ??= pump();
    },
    drain: async () => {
      while (running) await running;
    },
  };
}

/**
 * The default job progress of a progress event: `{ actorId, done, total? }`
 * (with `attempt` and `retryAt` while a `withRetry` child waits).
 *
 * @example
 * ```ts
 * import { defaultJobProgress } from './progress.js';
 * defaultJobProgress({ type: 'progress', key: 'k', actorId: 'emails', done: 3, total: 10 });
 * // { actorId: 'emails', done: 3, total: 10 }
 * ```
 */
export function defaultJobProgress(event: ActorProgressEvent): object {
  const { type: _type, key: _key, ...rest } = event;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}
