import { describe, expect, it } from 'vitest';
import { createMachine, assign } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { localStorageAdapter } from 'xstate-checkpoint/adapters/localstorage';
import type { CheckpointAdapter } from 'xstate-checkpoint/adapter-kit';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { checkKeyIndex } from '../../adapters/shared/key-index.js';

// Regression (redteam): a browser key index whose generations are stored out of
// order restored the oldest generation as if it were the newest, silently.

class MemoryStorage {
  readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(name: string) {
    return this.items.get(name) ?? null;
  }
  setItem(name: string, value: string) {
    this.items.set(name, value);
  }
  removeItem(name: string) {
    this.items.delete(name);
  }
}

const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

async function writeThree(adapter: CheckpointAdapter) {
  const p = await persistActor(counter, { key: 'k', adapter, flushOnExit: false, debounce: { wait: 0, maxWait: 0 } });
  for (let i = 0; i < 3; i++) {
    p.actor.send({ type: 'INC' });
    await p.flush();
  }
  await p.close();
}

describe('generation order from storage is never trusted', () => {
  it('checkKeyIndex returns the generations newest first whatever order they were stored in', () => {
    const g = (seq: number) => ({ seq, epoch: 0, byteLength: 1, createdAt: seq });
    const index = checkKeyIndex({ top: 3, epoch: 0, gens: [g(1), g(3), g(2)], quarantine: [] }, 'k');
    expect(index?.gens.map((x) => x.seq)).toEqual([3, 2, 1]);
  });

  it('a localStorage index listing its generations oldest first still restores the newest', async () => {
    const storage = new MemoryStorage();
    await writeThree(localStorageAdapter({ storage }));
    const meta = JSON.parse(storage.getItem('xsc:m:k')!) as { gens: unknown[] };
    meta.gens.reverse();
    storage.setItem('xsc:m:k', JSON.stringify(meta));
    const again = await persistActor(counter, {
      key: 'k',
      adapter: localStorageAdapter({ storage }),
      flushOnExit: false,
    });
    expect(again.restored.seq).toBe(3);
    expect(again.actor.getSnapshot().context.count).toBe(3);
    await again.close();
  });

  it('restore tries the newest first even when an adapter lists oldest first', async () => {
    const inner = memoryAdapter();
    await writeThree(inner);
    const { readNewest: _ignored, ...rest } = inner;
    const ascending: CheckpointAdapter = { ...rest, list: async (key) => (await inner.list(key)).reverse() };
    const again = await persistActor(counter, { key: 'k', adapter: ascending, flushOnExit: false });
    expect(again.restored.seq).toBe(3);
    expect(again.actor.getSnapshot().context.count).toBe(3);
    await again.close();
  });
});
