// Node's exit signals for the exit hooks (exit-hooks.ts): loaded only where there is a Node process.
import type { Flusher, ProcessLike } from './exit-hooks.js';

const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

// One set of process listeners serves every persisted actor in the process:
// a signal flushes them all, then exits once.
const processHooks = new Map<ProcessLike, { flushers: Set<Flusher>; detach: () => void }>();

function attachProcess(proc: ProcessLike, timeoutMs: number): { flushers: Set<Flusher>; detach: () => void } {
  const flushers = new Set<Flusher>();
  let exiting = false;
  const flushAll = () => Promise.allSettled([...flushers].map((f) => f()));
  const onSignal = (signal: unknown) => {
    const name = typeof signal === 'string' ? signal : 'SIGTERM';
    const code = SIGNAL_CODES[name] ?? 1;
    if (exiting) {
      // Second signal: the user insists; leave now.
      proc.exit(code);
      return;
    }
    exiting = true;
    const ours = name === 'SIGINT' ? onSigint : onSigterm;
    // Someone else also handles this signal: flush, and leave the exit to them.
    const othersListen = proc.listenerCount(name) > 1;
    const timeout = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref?.());
    void Promise.race([flushAll(), timeout]).then(() => {
      if (othersListen) {
        exiting = false;
        return;
      }
      proc.off(name, ours);
      proc.exit(code);
    });
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  let flushingBeforeExit = false;
  const onBeforeExit = () => {
    // beforeExit fires again once the flush settles; flush only once per burst.
    if (flushingBeforeExit) return;
    flushingBeforeExit = true;
    void flushAll().finally(() => {
      flushingBeforeExit = false;
    });
  };
  proc.on('SIGINT', onSigint);
  proc.on('SIGTERM', onSigterm);
  proc.on('beforeExit', onBeforeExit);
  return {
    flushers,
    detach: () => {
      proc.off('SIGINT', onSigint);
      proc.off('SIGTERM', onSigterm);
      proc.off('beforeExit', onBeforeExit);
    },
  };
}

/**
 * Flushes `flush` on SIGINT, SIGTERM and `beforeExit` of `proc` (then exits
 * with 130 / 143 unless another listener handles the signal; a second signal
 * exits at once). One set of listeners per process serves every flusher.
 * Returns the removal of `flush` (the last one removes the listeners).
 *
 * @example
 * ```ts
 * import { processFlusher } from './process-hooks.js';
 * const remove = processFlusher(process, async () => undefined, 5000);
 * remove();
 * ```
 */
export function processFlusher(proc: ProcessLike, flush: Flusher, exitTimeoutMs: number): () => void {
  let hooks = processHooks.get(proc);
  if (!hooks) {
    hooks = attachProcess(proc, exitTimeoutMs);
    processHooks.set(proc, hooks);
  }
  const h = hooks;
  h.flushers.add(flush);
  return () => {
    h.flushers.delete(flush);
    if (h.flushers.size === 0) {
      h.detach();
      processHooks.delete(proc);
    }
  };
}
