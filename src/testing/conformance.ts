import type { CheckpointAdapter } from '../adapter.js';
import { compareAndSetCases } from './adapter/compare-and-set.js';
import { errorCases } from './adapter/errors.js';
import { keyCases } from './adapter/keys.js';
import { lockCases } from './adapter/locks.js';
import { peerCases } from './adapter/peers.js';
import { quarantineCases } from './adapter/quarantine.js';
import { readNewestCases } from './adapter/read-newest.js';
import { readWriteCases } from './adapter/read-write.js';
import { removalCases } from './adapter/removal.js';
import { sizeCases } from './adapter/sizes.js';
import type { AdapterSuite, ConformanceTarget } from './adapter/suite.js';
import type { TestApi, TestBody } from './test-api.js';

/**
 * The adapter contract ({@link CheckpointAdapter}) as test cases, for any test
 * runner: registers one `describe` block of cases with the functions you
 * pass. Every adapter of the kit runs it; run it on yours (S3, SQLite,
 * MongoDB...) to know it keeps the contract: exact bytes, newest-first
 * listings, compare-and-set on `seq`, fencing on `epoch`, quarantine that
 * keeps bytes, any-character keys, typed errors, `closed` after `dispose`,
 * and, with `createPeer`, two writers on one store and locks.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, it } from 'vitest'; // or node:test, or Jest's globals
 * import { adapterConformance } from 'xstate-checkpoint/testing';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * adapterConformance('memory', { create: () => memoryAdapter() }, { describe, it, beforeEach, afterEach });
 * ```
 */
export function adapterConformance(name: string, target: ConformanceTarget, api: TestApi): void {
  const { describe, it, beforeEach, afterEach } = api;
  const skip = (title: string, body: TestBody) => (api.it.skip ? api.it.skip(title, body) : undefined);

  describe(`adapter conformance: ${name}`, () => {
    let adapter: CheckpointAdapter;
    const extra: CheckpointAdapter[] = [];

    beforeEach(async () => {
      adapter = await target.create();
    });
    afterEach(async () => {
      for (const a of extra.splice(0)) await a.dispose().catch(() => undefined);
      await adapter.dispose().catch(() => undefined);
      await target.cleanup?.();
    });
    const suite: AdapterSuite = {
      describe,
      it,
      skip,
      target,
      get adapter() {
        return adapter;
      },
      async peer() {
        const p = await target.createPeer!();
        extra.push(p);
        return p;
      },
      seqs: async (key) => (await adapter.list(key)).map((g) => g.seq),
    };
    readWriteCases(suite);
    compareAndSetCases(suite);
    removalCases(suite);
    quarantineCases(suite);
    readNewestCases(suite);
    keyCases(suite);
    sizeCases(suite);
    errorCases(suite);
    peerCases(suite);
    lockCases(suite);
  });
}
