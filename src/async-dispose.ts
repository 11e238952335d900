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
 * import { withAsyncDispose } from './async-dispose.js';
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
