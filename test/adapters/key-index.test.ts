import { describe, expect, it } from 'vitest';
import { counter, countTo } from '../helpers/counter.js';
import { persistActor } from 'xstate-checkpoint';
import type { CheckpointAdapter } from 'xstate-checkpoint/adapter-kit';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { checkKeyIndex } from '../../adapters/shared/key-index.js';

// Regression (redteam): a browser key index whose generations are stored out of
// order restored the oldest generation as if it were the newest, silently
// (the localStorage case is in localstorage.test.ts).

describe('generation order from storage is never trusted', () => {
  it('checkKeyIndex returns the generations newest first whatever order they were stored in', () => {
    const g = (seq: number) => ({ seq, epoch: 0, byteLength: 1, createdAt: seq });
    const index = checkKeyIndex({ top: 3, epoch: 0, gens: [g(1), g(3), g(2)], quarantine: [] }, 'k');
    expect(index?.gens.map((x) => x.seq)).toEqual([3, 2, 1]);
  });

  it('restore tries the newest first even when an adapter lists oldest first', async () => {
    const inner = memoryAdapter();
    await countTo(inner, 3);
    const { readNewest: _ignored, ...rest } = inner;
    const ascending: CheckpointAdapter = { ...rest, list: async (key) => (await inner.list(key)).reverse() };
    const again = await persistActor(counter, { key: 'k', adapter: ascending, flushOnExit: false });
    expect(again.restored.seq).toBe(3);
    expect(again.actor.getSnapshot().context.count).toBe(3);
    await again.close();
  });
});
