/**
 * `xstate-checkpoint/testing`: the adapter conformance suite for any test
 * runner, and the small assertions it is written with. See `docs/adapters.md`.
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
export { adapterConformance, conformanceRecord } from '../testing/conformance.js';
export type { ConformanceTarget, TestApi, TestBody } from '../testing/conformance.js';
export { ConformanceFailure, check, deepEqual, equal, matches, sameBytes } from '../testing/assert.js';
