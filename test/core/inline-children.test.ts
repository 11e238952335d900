import { describe, expect, it } from 'vitest';
import { assign, createMachine, setup, spawnChild } from 'xstate';
import { isCheckpointError, persistActor, type CheckpointError } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';

const inlineChild = createMachine({
  id: 'inline',
  context: { n: 0 },
  on: { BUMP: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
});

async function roundTrip(parent: Parameters<typeof persistActor>[0]) {
  const store = createMemoryStore();
  const errors: CheckpointError[] = [];
  const a = await persistActor(parent, {
    key: 'k',
    adapter: memoryAdapter({ store }),
    flushOnExit: false,
    onError: (e) => errors.push(e),
  });
  (a.actor.getSnapshot() as { children: Record<string, { send(e: unknown): void }> }).children['kid']!.send({
    type: 'BUMP',
  });
  const flushed = await a.flush().then(
    () => undefined,
    (e: unknown) => e,
  );
  a.actor.stop();
  const b = await persistActor(parent, {
    key: 'k',
    adapter: memoryAdapter({ store }),
    flushOnExit: false,
    onError: () => undefined,
  });
  const kid = (b.actor.getSnapshot() as { children: Record<string, { getSnapshot(): { context: { n: number } } }> })
    .children['kid'];
  // close() rethrows a failed final flush (the unregistered-inline case).
  await b.close().catch(() => undefined);
  return { errors, flushed, n: kid?.getSnapshot().context.n, restored: b.restored };
}

describe('children given as logic objects instead of names', () => {
  it('an inline invoked machine restores with its state', async () => {
    const parent = createMachine({
      id: 'parent',
      initial: 'on',
      states: { on: { invoke: { src: inlineChild, id: 'kid' } } },
    });
    const r = await roundTrip(parent);
    expect(r.errors).toEqual([]);
    expect(r.n).toBe(1);
  });

  it('a child spawned from a logic object the machine registered restores under its name', async () => {
    const parent = setup({ actors: { counter: inlineChild } }).createMachine({
      id: 'parent',
      // setup()'s types ask for the name; untyped code passes the object, as here.
      entry: spawnChild(inlineChild as unknown as 'counter', { id: 'kid' }),
    });
    const r = await roundTrip(parent);
    // Both XState builds: the kit walks the tree itself (XState's development build would refuse here).
    expect(r.errors).toEqual([]);
    expect(r.restored.source).toBe('checkpoint');
    expect(r.n).toBe(1);
  });

  it('a child spawned from unregistered inline logic fails the save loudly, naming the child', async () => {
    const parent = createMachine({ id: 'parent', entry: spawnChild(inlineChild, { id: 'kid' }) });
    const r = await roundTrip(parent);
    expect(isCheckpointError(r.flushed) && r.flushed.code).toBe('encode');
    expect(String((r.flushed as Error).message)).toMatch(/child "kid" was spawned from inline logic/);
    expect(r.errors.length).toBeGreaterThan(0);
  });
});
