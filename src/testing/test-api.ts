// How the conformance suites meet a test runner: the functions they are handed, and cases that skip at run time.

/**
 * A test or hook body. Runners hand it their test context as the first
 * argument (Vitest, `node:test`) or as `this` (Mocha); the suites use it only
 * to mark a case skipped at run time.
 */
export type TestBody = () => Promise<void> | void;

/**
 * Marks the running case skipped, with `reason`, through what the runner
 * offers: the context's `skip(note)` (Vitest aborts the case there, `node:test`
 * records it) or Mocha's `this.skip()`. A runner with neither (Jest) reports the
 * case as passed; the suites then return without checking anything.
 */
function skipRunning(reason: string, self: unknown, context: unknown): void {
  for (const candidate of [context, self]) {
    const skip = (candidate as { skip?: unknown } | null | undefined)?.skip;
    if (typeof skip === 'function') {
      (skip as (note: string) => void).call(candidate, reason);
      return;
    }
  }
}

/**
 * Registers a case that needs an optional capability of the adapter, known
 * only once `create()` ran: `missing()` names what is missing (or `undefined`
 * when the adapter has it), and a case without it shows as skipped with that
 * reason, never as passed.
 *
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { optionalCase } from './test-api.js';
 * optionalCase(it, 'renews its lease', () => 'the adapter has no acquire (capabilities.locks: false)', () => {});
 * ```
 */
export function optionalCase(
  it: TestApi['it'],
  title: string,
  missing: () => string | undefined,
  body: TestBody,
): void {
  // A rest parameter keeps the function's length 0: Mocha reads a declared one as a `done` callback.
  it(title, async function (this: unknown, ...args: unknown[]) {
    const reason = missing();
    if (reason === undefined) return body();
    skipRunning(`skipped: ${reason}`, this, args[0]);
  });
}

/**
 * The test functions of your runner. Vitest, Jest, Mocha and `node:test` all
 * have these four under these names; pass them in (or the globals).
 * `it.skip`, when present, reports the cases a target opts out of as skipped.
 */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it: ((name: string, body: TestBody) => unknown) & { skip?: (name: string, body: TestBody) => unknown };
  beforeEach(body: TestBody): unknown;
  afterEach(body: TestBody): unknown;
}
