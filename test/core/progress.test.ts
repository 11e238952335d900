import { describe, expect, it } from 'vitest';
import { fromPromise, setup } from 'xstate';
import { persistActor, type CheckpointEvent } from 'xstate-checkpoint';
import { fromResumable, withRetry } from 'xstate-checkpoint/durable';
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
    // Each step reported once: the final snapshot carries a new progress object with the same
    // values, which a by-reference comparison reported a second time.
    expect(progress.map((e) => e.done)).toEqual([0, 1, 2, 3, 4]);
    await p.close();
  });

  it('forwards a grandchild retry with its path joined by "/" and the deadline of the next attempt', async () => {
    let calls = 0;
    const charge = withRetry(
      fromPromise(async () => {
        if (++calls < 3) throw new Error('card service unavailable');
        return 'charged';
      }),
      { initialInterval: 20, backoffCoefficient: 1, maximumAttempts: 5 },
    );
    const order = setup({ actors: { charge } }).createMachine({
      initial: 'paying',
      states: { paying: { invoke: { src: 'charge', id: 'charge', onDone: 'paid' } }, paid: { type: 'final' } },
    });
    const shop = setup({ actors: { order } }).createMachine({
      id: 'shop',
      initial: 'busy',
      states: { busy: { invoke: { src: 'order', id: 'order', onDone: 'done' } }, done: { type: 'final' } },
    });
    const events: CheckpointEvent[] = [];
    const p = await persistActor(shop, {
      key: 'shop',
      adapter: memoryAdapter(),
      flushOnExit: false,
      onEvent: (e) => events.push(e),
    });
    await new Promise<void>((resolve) => {
      if (p.actor.getSnapshot().status === 'done') return resolve();
      p.actor.subscribe((s) => s.status === 'done' && resolve());
    });
    const progress = events.filter((e): e is Extract<CheckpointEvent, { type: 'progress' }> => e.type === 'progress');
    expect(new Set(progress.map((e) => e.actorId))).toEqual(new Set(['order/charge']));
    const waits = progress.filter((e) => e.retryAt !== undefined);
    expect(waits.map((e) => e.attempt)).toEqual([1, 2]);
    for (const wait of waits) expect(wait.retryAt).toBeGreaterThan(Date.now() - 5_000);
    await p.close();
  });
});
