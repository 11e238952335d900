import { expect, it } from 'vitest';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { record, runAdapterConformance } from '../conformance/suite.js';
import { manualClock } from '../helpers/manual-clock.js';

let store = createMemoryStore();
runAdapterConformance('memory', [memoryAdapter], {
  create: () => {
    store = createMemoryStore();
    return memoryAdapter({ store });
  },
  createPeer: () => memoryAdapter({ store }),
});

it('stamps quarantine with the `clock` option, and with the deprecated `now` alone', async () => {
  const clock = manualClock();
  const timed = memoryAdapter({ clock });
  await timed.write('k', record(1));
  await timed.quarantine('k', 1, 'test');
  expect((await timed.listQuarantine('k'))[0]?.quarantinedAt).toBe(clock.now());

  const legacy = memoryAdapter({ now: () => 42 });
  await legacy.write('k', record(1));
  await legacy.quarantine('k', 1, 'test');
  expect((await legacy.listQuarantine('k'))[0]?.quarantinedAt).toBe(42);
});
