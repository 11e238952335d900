import { installHooksWith, type Flusher, type LifecycleEnv } from './exit-hooks.js';
import { processFlusher } from './process-hooks.js';

export type { EventTargetLike, Flusher, LifecycleEnv, ProcessLike } from './exit-hooks.js';
export { withAsyncDispose, type AsyncDisposableLike } from './async-dispose.js';

/**
 * Flushes on the signals that end a process or a page: SIGINT, SIGTERM and
 * `beforeExit` in Node (then exits with 130 / 143 unless another listener
 * handles the signal; a second signal exits at once), `pagehide` and
 * `visibilitychange` to hidden in browsers (the only reliable signal on
 * mobile). Nothing is installed at import time; the returned function
 * removes everything this call installed.
 *
 * @example
 * ```ts
 * import { installLifecycleHooks } from 'xstate-checkpoint/pipeline';
 * const remove = installLifecycleHooks(async () => {
 *   // write what is pending
 * });
 * remove();
 * ```
 */
export function installLifecycleHooks(flush: Flusher, env?: LifecycleEnv): () => void {
  return installHooksWith(flush, env, processFlusher);
}
