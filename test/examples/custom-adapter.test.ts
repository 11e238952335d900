import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { adapterConformance } from 'xstate-checkpoint/testing';
import {
  memoryObjectStore,
  objectStoreAdapter,
  type ObjectStore,
} from '../../examples/custom-adapter/object-store-adapter.js';

// What docs/adapters.md tells adapter authors to do: run the kit with their runner's functions.
let store: ObjectStore = memoryObjectStore();
adapterConformance(
  'object-store (examples/custom-adapter)',
  {
    create: () => {
      store = memoryObjectStore();
      return objectStoreAdapter({ store });
    },
    createPeer: () => objectStoreAdapter({ store }),
  },
  { describe, it, beforeEach, afterEach },
);

describe('examples/custom-adapter', () => {
  it('persists and restores an actor', async () => {
    const adapter = objectStoreAdapter({ store: memoryObjectStore() });
    const machine = createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { T: 'on' } }, on: {} } });
    const first = await persistActor(machine, { key: 'toggle/1', adapter, flushOnExit: false });
    first.actor.send({ type: 'T' });
    await first.close();
    const second = await persistActor(machine, { key: 'toggle/1', adapter, flushOnExit: false });
    expect(second.restored.source).toBe('checkpoint');
    expect(second.actor.getSnapshot().value).toBe('on');
    await second.close();
  });
});
