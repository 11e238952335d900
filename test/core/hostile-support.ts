import { expect } from 'vitest';
import { assign, createMachine, sendTo, setup } from 'xstate';
import {
  persistActor,
  systemClock,
  taggedJsonCodec,
  type CheckpointAdapter,
  type PendingTimer,
} from 'xstate-checkpoint';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

// A machine with every path-like field a stored snapshot carries: an invoked
// child (children, src, systemId), a delayed event to it and an `after` timer
// (timers' source and target), a history state (historyValue), a nested value.
const worker = createMachine({
  id: 'worker',
  initial: 'idle',
  states: { idle: { on: { PING: 'pinged' } }, pinged: { after: { 60_000: 'idle' } } },
});
export const machine = setup({ actors: { worker } }).createMachine({
  id: 'host',
  context: { n: 0 },
  type: 'parallel',
  states: {
    main: {
      initial: 'a',
      states: {
        a: { on: { NEXT: 'b' } },
        b: { on: { NEXT: 'a' } },
        hist: { type: 'history', history: 'deep' },
      },
    },
    side: {
      invoke: { src: 'worker', id: 'kid', systemId: 'kid-system' },
      after: { 30_000: { actions: assign({ n: ({ context }) => context.n + 100 }) } },
      on: {
        INC: {
          actions: [assign({ n: ({ context }) => context.n + 1 }), sendTo('kid', { type: 'PING' }, { delay: 5000 })],
        },
      },
    },
  },
});

/** A decoded checkpoint of {@link machine}. */
export interface Stored {
  snapshot: Record<string, unknown> & {
    children: Record<string, Record<string, unknown>>;
    historyValue?: unknown;
    value: unknown;
  };
  timers: PendingTimer[];
}

/** Two real generations (n = 1, then n = 2), both with timers pending; returns the adapter and the second's data. */
export async function twoGenerations(key: string, clock = systemClock) {
  const adapter = memoryAdapter();
  const p = await persistActor(machine, { key, adapter, clock, flushOnExit: false });
  p.actor.send({ type: 'INC' });
  await p.flush();
  p.actor.send({ type: 'INC' });
  p.actor.send({ type: 'NEXT' });
  await p.flush();
  await p.close();
  const [newest] = await adapter.list(key);
  const { header, payload } = openEnvelope((await adapter.read(key, newest!.seq))!);
  const data = taggedJsonCodec.decode(payload) as Stored;
  expect(data.timers.length).toBeGreaterThanOrEqual(2);
  return { adapter, clock, newestSeq: header.seq, data };
}

/** Writes `data` as the next generation, as the kit would (valid envelope and checksums). */
export async function writeGeneration(adapter: CheckpointAdapter, key: string, seq: number, data: unknown) {
  const payload = taggedJsonCodec.encode(data);
  const bytes = encodeEnvelope({ machine: 'host', version: 1, seq, epoch: 0, createdAt: 1, codec: 'xsc1' }, payload);
  await adapter.write(key, { seq, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
}

/** Defines an own property (so a "__proto__" key stays a key, as JSON.parse makes it). */
export function own<T extends object>(obj: T, key: string, value: unknown): T {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  return obj;
}
