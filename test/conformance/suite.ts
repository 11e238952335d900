import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  adapterConformance,
  conformanceRecord,
  journalConformance,
  type ConformanceTarget,
  type JournalConformanceTarget,
} from 'xstate-checkpoint/testing';

export type { ConformanceTarget, JournalConformanceTarget } from 'xstate-checkpoint/testing';

/** A record with the given seq (and epoch), its bytes derived from both so mix-ups show. */
export const record = conformanceRecord;

/** Byte equality without a deep-equal walk (fast on megabytes, short message on failure). */
export function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual, 'bytes missing').toBeInstanceOf(Uint8Array);
  expect(actual!.length, 'byte length').toBe(expected.length);
  let firstDiff = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual![i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  expect(firstDiff, 'first differing byte').toBe(-1);
}

/**
 * The adapter contract as tests, on Vitest: the runner-agnostic suite of
 * `xstate-checkpoint/testing` given Vitest's functions. Every adapter runs
 * this, in Node and, for browser adapters, in Chromium.
 *
 * @example
 * ```ts
 * import { runAdapterConformance } from './suite.js';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * runAdapterConformance('memory', { create: () => memoryAdapter() });
 * ```
 */
export function runAdapterConformance(name: string, target: ConformanceTarget): void {
  adapterConformance(name, target, { describe, it, beforeEach, afterEach });
}

/**
 * The journal part of the contract as tests, on Vitest: the published
 * `journalConformance` given Vitest's functions.
 *
 * @example
 * ```ts
 * import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { runJournalConformance } from './suite.js';
 * let store = createMemoryStore();
 * runJournalConformance('memory', {
 *   create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
 *   reopen: () => memoryAdapter({ store }),
 *   corruptEntry: () => undefined,
 *   setAside: () => 0,
 * });
 * ```
 */
export function runJournalConformance(name: string, target: JournalConformanceTarget): void {
  journalConformance(name, target, { describe, it, beforeEach, afterEach });
}
