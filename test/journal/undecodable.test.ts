import { describe, expect, it } from 'vitest';
import { isCheckpointError, type CheckpointAdapter } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { persistJournaled } from 'xstate-checkpoint/journal';
import { counter } from '../helpers/counter.js';

// Journal mode meets an entry whose frame is sound but whose bytes no codec decodes (the fs
// case, with the file on disk, is in fs-hostile.test.ts): with a store that has setAsideAfter
// the actor starts from the entry before it, loudly; without one the restore is refused with
// restore-failed and advice, and nothing is started or changed.

const options = (adapter: CheckpointAdapter, errors: string[] = []) => ({
  key: 'k',
  adapter,
  flushOnExit: false,
  onError: (e: { code: string }) => errors.push(e.code),
});

async function journalWithBadEntry() {
  const store = createMemoryStore();
  const first = await persistJournaled(counter, options(memoryAdapter({ store })));
  for (let i = 0; i < 3; i++) await first.send({ type: 'INC' });
  await first.close();
  // Entry 4 in the journal's own framing, with bytes that name no codec.
  await memoryAdapter({ store }).journal!.append('k', [{ seq: 4, bytes: new Uint8Array([200, 9]) }], 0);
  return store;
}

describe('an undecodable journal entry', () => {
  it('memory store: the actor starts after entry 3, reports corrupt, and later appends come back', async () => {
    const store = await journalWithBadEntry();
    const errors: string[] = [];
    const again = await persistJournaled(counter, options(memoryAdapter({ store }), errors));
    expect(again.actor.getSnapshot().context.count).toBe(3);
    expect(again.restored.journal.corrupt).toMatchObject({ afterSeq: 3, reason: expect.stringContaining('entry 4') });
    expect(errors).toContain('corrupt');
    await again.send({ type: 'INC' });
    await again.close();
    const third = await persistJournaled(counter, options(memoryAdapter({ store })));
    expect([third.actor.getSnapshot().context.count, third.restored.journal.corrupt]).toEqual([4, undefined]);
    await third.close();
  });

  it('a store without setAsideAfter: restore-failed saying what to do, nothing started, the entry still there', async () => {
    const store = await journalWithBadEntry();
    const adapter = memoryAdapter({ store });
    const { setAsideAfter: _unused, ...journal } = adapter.journal!;
    const without: CheckpointAdapter = Object.assign(Object.create(adapter) as CheckpointAdapter, { journal });
    const error = await persistJournaled(counter, options(without)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCheckpointError(error) && [error.code, error.detail]).toEqual([
      'restore-failed',
      expect.stringMatching(/entry 4 does not decode.*no setAsideAfter.*nothing was started/),
    ]);
    expect((await adapter.journal!.read('k', 3)).entries.map((e) => e.seq)).toEqual([4]);
  });
});
