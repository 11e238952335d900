// The hooks that flush persisted actors when a page or a process ends. The page part is here;
// Node's signals (process-hooks.ts) load only where there is a Node process.

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

/** Adds `flush` to the process's flushers (see process-hooks.ts); returns its removal. */
export type ProcessHooks = (proc: ProcessLike, flush: Flusher, exitTimeoutMs: number) => () => void;

/**
 * The Node process of `env` that exit hooks listen to, if any.
 *
 * @example
 * ```ts
 * import { hookedProcess } from './exit-hooks.js';
 * hookedProcess(undefined); // the Node process in Node, undefined in a browser
 * ```
 */
export function hookedProcess(env: LifecycleEnv = defaultEnv()): ProcessLike | undefined {
  const proc = env.process;
  return proc && typeof proc.on === 'function' && typeof proc.listenerCount === 'function' ? proc : undefined;
}

/**
 * `installLifecycleHooks` (see lifecycle.ts) with the process part given:
 * without it, a Node process in `env` is not listened to (persistActor loads
 * it before it installs the hooks, where there is one).
 *
 * @example
 * ```ts
 * import { installHooksWith } from './exit-hooks.js';
 * const remove = installHooksWith(async () => undefined, {}, undefined);
 * remove();
 * ```
 */
export function installHooksWith(
  flush: Flusher,
  env: LifecycleEnv = defaultEnv(),
  processHooks?: ProcessHooks,
): () => void {
  const removers: Array<() => void> = [];
  const proc = hookedProcess(env);
  if (proc && processHooks) removers.push(processHooks(proc, flush, env.exitTimeoutMs ?? 5000));
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
