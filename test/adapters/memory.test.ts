import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { runAdapterConformance } from '../conformance/suite.js';

let store = createMemoryStore();
runAdapterConformance('memory', {
  create: () => {
    store = createMemoryStore();
    return memoryAdapter({ store });
  },
  createPeer: () => memoryAdapter({ store }),
});
