// Type-checked in the clean-install folder by test/package/package.test.ts,
// under nodenext, bundler and node10 resolution: a strict consumer of the
// installed package's declarations.
import { assign, createMachine, setup } from 'xstate';
import { CheckpointError, isCheckpointError, persistActor, type PersistOptions } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { redisAdapter } from 'xstate-checkpoint/adapters/redis';
import { PersistGate, usePersistedActor } from 'xstate-checkpoint/react';

const counter = createMachine({
  types: {} as { context: { count: number }; events: { type: 'INC' } },
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

export async function main(): Promise<number> {
  const options: PersistOptions<typeof counter> = { key: 'counter-1', adapter: memoryAdapter() };
  const persisted = await persistActor(counter, options);
  persisted.actor.send({ type: 'INC' });
  // @ts-expect-error the machine has no such event
  persisted.actor.send({ type: 'DEC' });
  const count: number = persisted.actor.getSnapshot().context.count;
  const seq: number | undefined = (await persisted.flush())?.seq;
  await persisted.close();
  return count + (seq ?? 0);
}

const order = setup({ types: { input: {} as { orderId: string }, context: {} as { orderId: string } } }).createMachine({
  id: 'order',
  context: ({ input }) => ({ orderId: input.orderId }),
});

/** A machine that requires input needs it here too, as createActor does. */
export async function withInput(): Promise<string> {
  // @ts-expect-error the machine requires input
  void persistActor(order, { key: 'order-0', adapter: memoryAdapter() });
  // @ts-expect-error the input has the wrong shape
  void persistActor(order, { key: 'order-0', adapter: memoryAdapter(), input: { id: 1 } });
  const persisted = await persistActor(order, { key: 'order-1', adapter: memoryAdapter(), input: { orderId: 'o-1' } });
  return persisted.actor.getSnapshot().context.orderId;
}

export const adapters = [
  fileAdapter({ dir: './state' }),
  indexedDbAdapter({ dbName: 'app' }),
  postgresAdapter({ connectionString: 'postgres://localhost/app' }),
  redisAdapter({ url: 'redis://localhost:6379' }),
];

export function explain(error: unknown): string {
  if (isCheckpointError(error)) return `${error.code}: ${error.key ?? ''}`;
  return error instanceof CheckpointError ? 'unreachable' : String(error);
}

export const react = { PersistGate, usePersistedActor };
