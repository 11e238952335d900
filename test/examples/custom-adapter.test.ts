import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

describe('examples/custom-adapter/demo.ts (npm run demo:custom-adapter)', () => {
  it('restores through a second adapter and lets one of two racing writers win', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/custom-adapter/demo.ts'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toContain('FAIL');
    expect(run.stdout).toContain('ok    a new adapter over the same store restored count 3');
    expect(run.stdout).toMatch(/ok {4}two writers raced for generation \d+: one won, the other got conflict/);
    expect(run.stdout).toContain('checkpoints/head/counter%2F1');
    expect(run.status).toBe(0);
  }, 70_000);
});
