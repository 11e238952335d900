// Runs the conformance kit under node:test (not vitest): `node --import tsx test/conformance/node-test-fixture.ts`.
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { adapterConformance } from 'xstate-checkpoint/testing';

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
