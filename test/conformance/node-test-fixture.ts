// Runs the conformance kit under node:test (not vitest): `node --import tsx test/conformance/node-test-fixture.ts`.
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { adapterConformance, journalConformance } from 'xstate-checkpoint/testing';

let store = createMemoryStore();
adapterConformance(
  'memory under node:test',
  {
    create: () => {
      store = createMemoryStore();
      return memoryAdapter({ store });
    },
    createPeer: () => memoryAdapter({ store }),
    skipLarge: true,
  },
  { describe, it, beforeEach, afterEach },
);

// The journal kit on the same runner; without tearTail its torn-tail case is reported as skipped.
journalConformance(
  'memory journal under node:test',
  {
    create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
    reopen: () => memoryAdapter({ store }),
    corruptEntry: (key) => {
      // The memory journal keeps each append's frames apart: damage the first frame of the second append.
      const chunk = store.keys.get(key)!.journal[1]!;
      chunk[0] = chunk[0]! ^ 0xff;
    },
    setAside: (key) => store.keys.get(key)!.journalAside.reduce((n, c) => n + c.length, 0),
  },
  { describe, it, beforeEach, afterEach },
);
