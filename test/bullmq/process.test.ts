import type { Processor } from 'bullmq';
import { assign, fromPromise, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { isCheckpointError, type CheckpointAdapter } from 'xstate-checkpoint';
import { fromResumable } from 'xstate-checkpoint/durable';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { processWithActor, type JobLike } from 'xstate-checkpoint/bullmq';

/** A job as BullMQ hands it over; `locked` says whether its lock is still this worker's. */
function fakeJob(id: string, data: { items: number; fail?: boolean }) {
  const progress: unknown[] = [];
  const job = {
    id,
    queueName: 'orders',
    data,
    locked: true,
    extendCalls: 0,
    progress,
    updateProgress: async (p: number | object) => {
      progress.push(p);
    },
    extendLock: async (token: string) => {
      job.extendCalls++;
      return job.locked && token === 'token-1' ? 1 : 0;
    },
  };
  return job satisfies JobLike<{ items: number; fail?: boolean }>;
}

/** Sends one email per item (recorded by idempotency key), then ends with the count. */
function orderMachine(sent: string[], gate?: Promise<void>) {
  const emails = fromResumable({
    items: ({ input }: { input: { items: number } }) => Array.from({ length: input.items }, (_, i) => i),
    process: async ({ idempotencyKey }) => {
      if (gate) await gate;
      sent.push(idempotencyKey);
    },
    initial: () => 0,
    reduce: (n: number) => n + 1,
  });
  const failIfAsked = fromPromise(async ({ input }: { input: { fail?: boolean } }) => {
    if (input.fail) throw new Error('card declined');
  });
  return setup({
    types: {
      input: {} as { items: number; fail?: boolean },
      context: {} as { items: number; fail: boolean; sent: number },
      output: {} as { sent: number },
    },
    actors: { emails, failIfAsked },
  }).createMachine({
    id: 'order',
    context: ({ input }) => ({ items: input.items, fail: input.fail ?? false, sent: 0 }),
    initial: 'charging',
    states: {
      charging: {
        invoke: {
          id: 'charge',
          src: 'failIfAsked',
          input: ({ context }) => ({ fail: context.fail }),
          onDone: 'mailing',
        },
      },
      mailing: {
        invoke: {
          id: 'emails',
          src: 'emails',
          input: ({ context }) => ({ items: context.items }),
          onDone: { target: 'done', actions: assign({ sent: ({ event }) => event.output }) },
        },
      },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ sent: context.sent }),
  });
}

describe('processWithActor', () => {
  it('completes with the output, reports progress from the actor and leaves the final checkpoint', async () => {
    const adapter = memoryAdapter();
    const sent: string[] = [];
    const job = fakeJob('1', { items: 5 });
    const process = processWithActor(orderMachine(sent), { adapter, lockDuration: 5_000 });
    await expect(process(job, 'token-1')).resolves.toEqual({ sent: 5 });
    expect(sent).toEqual(['emails:0', 'emails:1', 'emails:2', 'emails:3', 'emails:4']);
    expect(job.progress.at(-1)).toEqual({ actorId: 'emails', done: 5, total: 5 });
    expect(job.extendCalls).toBeGreaterThan(0); // every write and the completion confirmed the lock
    expect((await adapter.list('bullmq:orders:1')).length).toBeGreaterThan(0);
    // The same job run again (its completion was lost) finishes from the checkpoint without resending.
    await expect(process(fakeJob('1', { items: 5 }), 'token-1')).resolves.toEqual({ sent: 5 });
    expect(sent).toHaveLength(5);
  });

  it("fails the job with the actor's error; a retry resumes from the checkpoint before the failure", async () => {
    const adapter = memoryAdapter();
    let attempts = 0;
    const flaky = fromPromise(async () => {
      // Long enough for the checkpoint of "charging" to land before the failure.
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (++attempts === 1) throw new Error('card declined');
      return 'charged';
    });
    const reserved: number[] = [];
    const reserve = fromPromise(async () => {
      reserved.push(attempts);
    });
    const machine = setup({ actors: { flaky, reserve } }).createMachine({
      id: 'retry',
      initial: 'reserving',
      states: {
        reserving: { invoke: { id: 'reserve', src: 'reserve', onDone: 'charging' } },
        charging: { invoke: { id: 'charge', src: 'flaky', onDone: 'done' } },
        done: { type: 'final' },
      },
      output: () => 'ok',
    });
    const process = processWithActor(machine, {
      adapter,
      lockDuration: 5_000,
      persist: { debounce: { wait: 0, maxWait: 0 } },
    });
    await expect(process(fakeJob('2', { items: 1 }), 'token-1')).rejects.toThrow(/card declined/);
    // BullMQ's retry: the charge runs again, the reservation before it does not.
    await expect(process(fakeJob('2', { items: 1 }), 'token-1')).resolves.toBe('ok');
    expect(attempts).toBe(2);
    expect(reserved).toEqual([0]);
  });

  it('a worker that lost the job lock writes nothing more, stops its actor and does not complete', async () => {
    const adapter = memoryAdapter();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sent: string[] = [];
    const job = fakeJob('3', { items: 3 });
    const process = processWithActor(orderMachine(sent, gate), {
      adapter,
      lockDuration: 5_000,
      persist: { debounce: { wait: 0, maxWait: 0 } },
    });
    const running = process(job, 'token-1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = await adapter.list('bullmq:orders:3');
    expect(before.length).toBeGreaterThan(0);
    job.locked = false; // BullMQ moved the stalled job to another worker
    release();
    const error: unknown = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCheckpointError(error) && error.code).toBe('fenced');
    expect(await adapter.list('bullmq:orders:3')).toEqual(before);
  });

  it("is a BullMQ Processor as it is (typed by the machine's input and output, no cast)", () => {
    const processor: Processor<{ items: number; fail?: boolean }, { sent: number }> = processWithActor(
      orderMachine([]),
      { adapter: memoryAdapter() },
    );
    expect(processor).toBeTypeOf('function');
  });

  it('refuses an adapter without locks and a call without the lock token', async () => {
    const noLocks = { ...memoryAdapter(), acquire: undefined } as unknown as CheckpointAdapter;
    expect(() => processWithActor(orderMachine([]), { adapter: noLocks })).toThrow(/needs locks/);
    expect(() => processWithActor(orderMachine([]), { adapter: memoryAdapter(), lockDuration: 0 })).toThrow(
      /lockDuration/,
    );
    const process = processWithActor(orderMachine([]), { adapter: memoryAdapter() });
    await expect(process(fakeJob('4', { items: 1 }))).rejects.toThrow(/lock token/);
  });
});
