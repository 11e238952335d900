/** The few members of Node's `process` the exit hooks use. */
export interface ProcessLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
  exit(code?: number): never | void;
}

/** The few members of `window` / `document` the page hooks use. */
export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  readonly visibilityState?: string;
}

/** Where lifecycle signals come from; found on `globalThis` by default, injectable for tests and Electron. */
export interface LifecycleEnv {
  readonly process?: ProcessLike | undefined;
  readonly window?: EventTargetLike | undefined;
  readonly document?: EventTargetLike | undefined;
  /** How long a signal waits for flushes before exiting anyway, in ms. @default 5000 */
  readonly exitTimeoutMs?: number;
}

/** Flushes one persisted actor; lifecycle signals wait for it (up to `exitTimeoutMs`). */
export type Flusher = () => Promise<unknown>;

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
export function installLifecycleHooks(flush: Flusher, env: LifecycleEnv = defaultEnv()): () => void {
  const removers: Array<() => void> = [];
  const proc = env.process;
  if (proc && typeof proc.on === 'function' && typeof proc.listenerCount === 'function') {
    let hooks = processHooks.get(proc);
    if (!hooks) {
      hooks = attachProcess(proc, env.exitTimeoutMs ?? 5000);
      processHooks.set(proc, hooks);
    }
    const h = hooks;
    h.flushers.add(flush);
    removers.push(() => {
      h.flushers.delete(flush);
      if (h.flushers.size === 0) {
        h.detach();
        processHooks.delete(proc);
      }
    });
  }
  const onHide = () => void flush().catch(() => undefined);
  const onVisibility = () => {
    if (env.document?.visibilityState === 'hidden') onHide();
  };
  if (env.window) {
    const w = env.window;
    w.addEventListener('pagehide', onHide);
    removers.push(() => w.removeEventListener('pagehide', onHide));
  }
  if (env.document) {
    const d = env.document;
    d.addEventListener('visibilitychange', onVisibility);
    removers.push(() => d.removeEventListener('visibilitychange', onVisibility));
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const r of removers) r();
  };
}

function defaultEnv(): LifecycleEnv {
  const g = globalThis as Record<string, unknown>;
  const proc = g['process'] as (ProcessLike & { versions?: { node?: string } }) | undefined;
  const doc = g['document'] as EventTargetLike | undefined;
  return {
    process: proc?.versions?.node !== undefined ? proc : undefined,
    window:
      typeof g['addEventListener'] === 'function' && doc !== undefined ? (g as unknown as EventTargetLike) : undefined,
    document: doc,
  };
}

/**
 * `[Symbol.asyncDispose]` as a type, where the TypeScript lib declares the
 * symbol (`esnext.disposable`, ES2026, or `@types/node`); an empty type where
 * it does not, so the declarations compile either way.
 */
export type AsyncDisposableLike = SymbolConstructor extends { readonly asyncDispose: infer K extends symbol }
  ? { [P in K]: () => Promise<void> }
  : Record<never, never>;

/**
 * Gives `target` a `[Symbol.asyncDispose]` that calls its `close`, so
 * `await using persisted = await persistActor(...)` closes it when the scope
 * ends. Where the runtime has no `Symbol.asyncDispose` (browsers before it
 * shipped), `target` is returned as it is; `close()` works everywhere.
 *
 * @example
 * ```ts
 * import { withAsyncDispose } from './lifecycle.js';
 * const resource = withAsyncDispose({ close: async () => undefined });
 * ```
 */
export function withAsyncDispose<T extends { close(): Promise<void> }>(target: T): T & AsyncDisposableLike {
  const symbol = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  if (symbol !== undefined) {
    Object.defineProperty(target, symbol, { value: () => target.close(), configurable: true, writable: true });
  }
  return target as T & AsyncDisposableLike;
}
