/**
 * `xstate-checkpoint/testing`: the conformance suites for any test runner
 * (the adapter contract, and the journal part of it for adapters that offer a
 * `journal`), and the small assertions they are written with. See
 * `docs/adapters.md`.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * import { adapterConformance } from 'xstate-checkpoint/testing';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * adapterConformance('memory', { create: () => memoryAdapter() }, { describe, it, beforeEach, afterEach });
 * ```
 * @packageDocumentation
 */
export { adapterConformance } from '../testing/conformance.js';
export { conformanceRecord } from '../testing/adapter/suite.js';
export type { ConformanceTarget } from '../testing/adapter/suite.js';
export type { TestApi, TestBody } from '../testing/test-api.js';
export { journalConformance } from '../testing/journal-conformance.js';
export { conformanceEntry } from '../testing/journal/suite.js';
export type { JournalConformanceTarget } from '../testing/journal/suite.js';
export { ConformanceFailure, check, deepEqual, equal, matches, sameBytes } from '../testing/assert.js';
