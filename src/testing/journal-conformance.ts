import type { CheckpointAdapter, JournalStore } from '../adapter.js';
import { check } from './assert.js';
import { damageCases } from './journal/damage.js';
import { fencingCases } from './journal/fencing.js';
import { limitCases } from './journal/limits.js';
import { orderCases } from './journal/order.js';
import { readWriteCases } from './journal/read-write.js';
import type { JournalConformanceTarget, JournalSuite } from './journal/suite.js';
import { truncationCases } from './journal/truncation.js';
import type { TestApi } from './test-api.js';

/**
 * The journal part of the adapter contract ({@link JournalStore}) as test
 * cases, for any test runner: registers one `describe` block with the
 * functions you pass, as `adapterConformance` does. It checks atomic,
 * ordered, fenced appends; exact bytes; reads that stop at damage and report
 * it (a torn tail, a corrupt entry); side-effect-free reads; truncation; and
 * appends that always continue right after the last good entry, setting the
 * damage aside instead of deleting it.
 *
 * @example
 * ```ts
 * import { afterEach, beforeEach, describe, it } from 'vitest'; // or node:test, or Jest's globals
 * import { journalConformance } from 'xstate-checkpoint/testing';
 * import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 *
 * let store = createMemoryStore();
 * journalConformance(
 *   'memory',
 *   {
 *     create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
 *     reopen: () => memoryAdapter({ store }),
 *     corruptEntry: () => {}, // flip a stored payload byte of that entry
 *     setAside: () => 0, // count what the store moved aside for that key
 *   },
 *   { describe, it, beforeEach, afterEach },
 * );
 * ```
 */
export function journalConformance(name: string, target: JournalConformanceTarget, api: TestApi): void {
  const { describe, it, beforeEach, afterEach } = api;

  describe(`journal conformance: ${name}`, () => {
    let adapter: CheckpointAdapter;
    let journal: JournalStore;
    const others: CheckpointAdapter[] = [];

    beforeEach(async () => {
      adapter = await target.create();
      check(adapter.journal !== undefined, `the adapter ${adapter.name} must offer a journal`);
      journal = adapter.journal;
    });
    afterEach(async () => {
      for (const a of others.splice(0)) await a.dispose().catch(() => undefined);
      await adapter.dispose().catch(() => undefined);
      await target.cleanup?.();
    });
    const suite: JournalSuite = {
      it,
      skip: (title, body) => api.it.skip?.(title, body),
      target,
      get adapter() {
        return adapter;
      },
      get journal() {
        return journal;
      },
      async reopen() {
        const next = await target.reopen();
        others.push(next);
        check(next.journal !== undefined, 'the reopened adapter must offer a journal');
        return next.journal;
      },
      entries: async (store, key, afterSeq = 0) => (await store.read(key, afterSeq)).entries,
    };
    readWriteCases(suite);
    orderCases(suite);
    fencingCases(suite);
    truncationCases(suite);
    damageCases(suite);
    limitCases(suite);
  });
}
