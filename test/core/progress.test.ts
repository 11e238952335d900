import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { fromResumable, persistActor, type CheckpointEvent } from 'xstate-checkpoint';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

describe('progress events', () => {
  it('forwards the progress of a resumable child on the event hook, with its path', async () => {
    const batch = fromResumable({
      items: () => [1, 2, 3, 4],
      process: async ({ item }) => item * 2,
      initial: () => 0,
      reduce: (sum: number, value: number) => sum + value,
    });
    const machine = setup({ actors: { batch } }).createMachine({
      id: 'importer',
      initial: 'running',
      states: {
        running: { invoke: { src: 'batch', id: 'batch', onDone: 'done' } },
        done: { type: 'final' },
      },
    });
    const events: CheckpointEvent[] = [];
    const p = await persistActor(machine, {
      key: 'imp',
      adapter: memoryAdapter(),
      flushOnExit: false,
      onEvent: (e) => events.push(e),
    });
    await new Promise<void>((resolve) => {
      const sub = p.actor.subscribe((s) => {
        if (s.status === 'done') {
          sub.unsubscribe();
          resolve();
        }
      });
      if (p.actor.getSnapshot().status === 'done') resolve();
    });
    const progress = events.filter((e): e is Extract<CheckpointEvent, { type: 'progress' }> => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((e) => e.actorId === 'batch' && e.key === 'imp')).toBe(true);
    expect(progress.at(-1)).toMatchObject({ done: 4, total: 4 });
    const dones = progress.map((e) => e.done);
    expect([...dones].sort((a, b) => a - b)).toEqual(dones);
    await p.close();
  });
});
