import {
  assign,
  createActor,
  fromPromise,
  setup,
  toPromise,
  type AnyActorLogic,
  type AnyActorRef,
  type Snapshot,
} from 'xstate';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCheckpointError, persistActor, taggedJsonCodec, type CheckpointAdapter } from 'xstate-checkpoint';
import {
  fromResumable,
  readProgress,
  resolveRetryPolicy,
  retryDelay,
  watchProgress,
  withRetry,
  type RetryPolicy,
} from 'xstate-checkpoint/durable';
import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface ParentContext {
  output: unknown;
  error: unknown;
}

function parentOf(work: AnyActorLogic, input: unknown = {}) {
  return setup({
    types: {
      context: {} as ParentContext,
      output: {} as ParentContext,
      events: {} as { type: 'cancel' },
    },
    actors: { work },
  }).createMachine({
    id: 'parent',
    initial: 'running',
    context: { output: undefined, error: undefined },
    states: {
      running: {
        invoke: {
          id: 'work',
          src: 'work',
          input,
          onDone: { target: 'done', actions: assign({ output: ({ event }) => event.output }) },
          onError: { target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
        },
        on: { cancel: 'cancelled' },
      },
      cancelled: { type: 'final' },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
    output: ({ context }) => context,
  });
}

const roundTrip = (actor: AnyActorRef): Snapshot<unknown> =>
  taggedJsonCodec.decode(taggedJsonCodec.encode(actor.getPersistedSnapshot())) as Snapshot<unknown>;

const childOf = (persisted: unknown) =>
  (persisted as { children: { work?: { snapshot: { attempt: number; retryAt: number | null } } } }).children.work
    ?.snapshot;

/**
 * A call that fails `failures` times, then returns `'ok'`; records the time of
 * every attempt; each call takes `callMs`. A call cut off by a stop (a crash) settles nothing, like a
 * request lost with its process, so it does not use up one of the failures.
 */
function flaky(failures: number, callMs = 0) {
  const calls: number[] = [];
  let left = failures;
  const logic = fromPromise(async ({ signal }) => {
    calls.push(Date.now());
    await (callMs > 0 ? sleep(callMs) : Promise.resolve());
    if (signal.aborted) return 'lost';
    if (left > 0) throw new Error(`failure ${failures - --left}`);
    return 'ok';
  });
  return { calls, logic };
}

describe('retryDelay', () => {
  it('grows by the coefficient from the initial interval and stops at the maximum', () => {
    const policy = resolveRetryPolicy({ initialInterval: 100, backoffCoefficient: 2, maximumInterval: 1000 });
    expect([1, 2, 3, 4, 5, 6, 60].map((n) => retryDelay(policy, n, 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
    const steep = resolveRetryPolicy({ initialInterval: 100, backoffCoefficient: 10, maximumInterval: 500 });
    expect([1, 2, 3].map((n) => retryDelay(steep, n, 0.9))).toEqual([100, 500, 500]);
  });

  it('keeps jittered waits inside [w(1-j), min(max, w(1+j))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialInterval, backoffCoefficient, attempt, jitter, random) => {
          const maximumInterval = initialInterval * 50;
          const policy = resolveRetryPolicy({ initialInterval, backoffCoefficient, maximumInterval, jitter });
          const wait = Math.min(maximumInterval, initialInterval * backoffCoefficient ** (attempt - 1));
          const delay = retryDelay(policy, attempt, random);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(wait * (1 - jitter)));
          expect(delay).toBeLessThanOrEqual(Math.ceil(Math.min(maximumInterval, wait * (1 + jitter))));
        },
      ),
    );
    const policy = resolveRetryPolicy({ initialInterval: 1000, jitter: 0.2 });
    expect(retryDelay(policy, 1, 0)).toBe(800);
    expect(retryDelay(policy, 1, 0.999999)).toBe(1200);
  });

  it('refuses policies it cannot follow with invalid-option', () => {
    const bad: RetryPolicy[] = [
      { initialInterval: -1 },
      { initialInterval: Number.NaN },
      { backoffCoefficient: 0.5 },
      { initialInterval: 100, maximumInterval: 50 },
      { maximumInterval: Infinity },
      { maximumAttempts: 0 },
      { maximumAttempts: 2.5 },
      { jitter: 1.5 },
      { jitter: -0.1 },
    ];
    for (const policy of bad) {
      let caught: unknown;
      try {
        withRetry(
          fromPromise(async () => 1),
          policy,
        );
      } catch (error) {
        caught = error;
      }
      expect(isCheckpointError(caught) && caught.code, JSON.stringify(policy)).toBe('invalid-option');
    }
  });
});

describe('withRetry with fake timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits exactly the policy between attempts, maximum interval included', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { calls, logic } = flaky(4);
    const actor = createActor(
      parentOf(withRetry(logic, { initialInterval: 100, backoffCoefficient: 3, maximumInterval: 500 })),
    ).start();
    await vi.runAllTimersAsync();
    expect(actor.getSnapshot().context.output).toBe('ok');
    expect(calls.map((at) => at - 1_000_000)).toEqual([0, 100, 100 + 300, 400 + 500, 900 + 500]);
  });

  it('does not try again before the deadline', async () => {
    vi.useFakeTimers({ now: 0 });
    const { calls, logic } = flaky(1);
    const actor = createActor(parentOf(withRetry(logic, { initialInterval: 250 }))).start();
    await vi.advanceTimersByTimeAsync(249);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([0, 250]);
    expect(actor.getSnapshot().value).toBe('done');
  });

  it('gives up after maximumAttempts with the last error, and at once for a non-retryable error', async () => {
    vi.useFakeTimers({ now: 0 });
    const spent = flaky(10);
    const actor = createActor(
      parentOf(withRetry(spent.logic, { initialInterval: 10, maximumAttempts: 3, jitter: 0.5 })),
    ).start();
    await vi.runAllTimersAsync();
    expect(spent.calls).toHaveLength(3);
    expect(actor.getSnapshot().value).toBe('failed');
    expect((actor.getSnapshot().context.error as Error).message).toBe('failure 3');

    const fatal = flaky(10);
    const seen: Array<[string, number]> = [];
    const once = createActor(
      parentOf(
        withRetry(fatal.logic, {
          retryable: (error, attempt) => {
            seen.push([(error as Error).message, attempt]);
            return false;
          },
        }),
      ),
    ).start();
    await vi.runAllTimersAsync();
    expect(fatal.calls).toHaveLength(1);
    expect(seen).toEqual([['failure 1', 1]]);
    expect(once.getSnapshot().value).toBe('failed');
  });

  it('keeps the attempt count and the deadline across a restore, waiting only the remainder', async () => {
    vi.useFakeTimers({ now: 0 });
    const first = flaky(3);
    const policy: RetryPolicy = { initialInterval: 1000, backoffCoefficient: 2 };
    const actor = createActor(parentOf(withRetry(first.logic, policy))).start();
    await vi.advanceTimersByTimeAsync(1000 + 300);
    expect(first.calls).toEqual([0, 1000]);
    const checkpoint = roundTrip(actor);
    actor.stop();
    expect(childOf(checkpoint)).toMatchObject({ attempt: 2, retryAt: 1000 + 2000 });

    // Down for 500 ms; the restored actor owes 1200 ms more, not a fresh 1000 or 2000.
    await vi.advanceTimersByTimeAsync(500);
    const calls: number[] = [];
    let failures = 1; // the third attempt still fails, the fourth succeeds
    const resumed = withRetry(
      fromPromise(async () => {
        calls.push(Date.now());
        if (failures-- > 0) throw new Error('still down');
        return 'ok';
      }),
      policy,
    );
    const restored = createActor(parentOf(resumed), { snapshot: checkpoint }).start();
    await vi.advanceTimersByTimeAsync(1199);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([3000]);
    expect(readProgress(restored.getSnapshot().children.work?.getSnapshot())).toMatchObject({
      attempt: 3,
      retryAt: 3000 + 4000,
    });
    await vi.runAllTimersAsync();
    expect(calls).toEqual([3000, 7000]);
    expect(restored.getSnapshot().context.output).toBe('ok');
  });

  it('tries at once after a restore whose deadline has passed', async () => {
    vi.useFakeTimers({ now: 0 });
    const first = flaky(1);
    const actor = createActor(parentOf(withRetry(first.logic, { initialInterval: 100 }))).start();
    await vi.advanceTimersByTimeAsync(10);
    const checkpoint = roundTrip(actor);
    actor.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    const second = flaky(0);
    const restored = createActor(parentOf(withRetry(second.logic, { initialInterval: 100 })), {
      snapshot: checkpoint,
    }).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.calls).toEqual([10_010]);
    expect(restored.getSnapshot().value).toBe('done');
  });

  it('never waits longer than maximumInterval when the clock went back between runs', async () => {
    vi.useFakeTimers({ now: 50_000 });
    const first = flaky(1);
    const policy: RetryPolicy = { initialInterval: 100, maximumInterval: 400 };
    const actor = createActor(parentOf(withRetry(first.logic, policy))).start();
    await vi.advanceTimersByTimeAsync(1);
    const checkpoint = roundTrip(actor);
    actor.stop();
    vi.setSystemTime(0);
    const second = flaky(0);
    createActor(parentOf(withRetry(second.logic, policy)), { snapshot: checkpoint }).start();
    await vi.advanceTimersByTimeAsync(400);
    expect(second.calls).toHaveLength(1);
  });

  it('cancels the pending attempt when the parent leaves the state', async () => {
    vi.useFakeTimers({ now: 0 });
    const { calls, logic } = flaky(5);
    const actor = createActor(parentOf(withRetry(logic, { initialInterval: 100 }))).start();
    await vi.advanceTimersByTimeAsync(50);
    actor.send({ type: 'cancel' });
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restores to the same outcome and attempt count from every cut point', async () => {
    vi.useFakeTimers({ now: 0 });
    const policy: RetryPolicy = { initialInterval: 100, backoffCoefficient: 2, jitter: 0.3, random: () => 0.25 };
    const reference = flaky(3);
    const referenceActor = createActor(parentOf(withRetry(reference.logic, policy)));
    let cutPoints = 0;
    referenceActor.system.inspect((event) => {
      if (event.type === '@xstate.snapshot') cutPoints++;
    });
    referenceActor.start();
    await vi.runAllTimersAsync();
    expect(referenceActor.getSnapshot().context.output).toBe('ok');
    const referenceGaps = reference.calls.slice(1).map((at, i) => at - reference.calls[i]!);
    expect(referenceGaps).toEqual([85, 170, 340]);

    const kinds = { midAttempt: 0, waiting: 0, finished: 0 };
    for (let cut = 1; cut <= cutPoints; cut++) {
      vi.setSystemTime(0);
      // One flaky service for both runs: failures continue where the first run left off.
      const { calls, logic } = flaky(3);
      const actor = createActor(parentOf(withRetry(logic, policy)));
      let seen = 0;
      let checkpoint: Snapshot<unknown> | undefined;
      actor.system.inspect((event) => {
        if (event.type !== '@xstate.snapshot' || checkpoint !== undefined || ++seen < cut) return;
        checkpoint = roundTrip(actor);
        actor.stop();
      });
      actor.start();
      while (checkpoint === undefined) await vi.advanceTimersToNextTimerAsync();
      const restored = createActor(parentOf(withRetry(logic, policy)), { snapshot: checkpoint }).start();
      await vi.runAllTimersAsync();
      expect(restored.getSnapshot().context.output, `cut point ${cut}`).toBe('ok');
      // An attempt cut off mid-flight runs again at once; a wait is never cut short or repeated.
      const child = childOf(checkpoint);
      const midAttempt = child !== undefined && child.retryAt === null ? 1 : 0;
      kinds[child === undefined ? 'finished' : midAttempt ? 'midAttempt' : 'waiting']++;
      expect(calls.length, `cut point ${cut}`).toBe(reference.calls.length + midAttempt);
      const gaps = calls.slice(1).map((at, i) => at - calls[i]!);
      expect(
        gaps.filter((gap) => gap !== 0),
        `cut point ${cut}`,
      ).toEqual(referenceGaps);
    }
    // Every wait between the 4 attempts is one cut point; attempts give one or more each, as XState emits snapshots.
    expect(kinds.waiting).toBe(3);
    expect(kinds.midAttempt).toBeGreaterThanOrEqual(4);
  });
});

describe('withRetry across restores with real timers', () => {
  it('spends the same number of attempts as an uninterrupted run with a restore between every attempt', async () => {
    const policy: RetryPolicy = { initialInterval: 40, backoffCoefficient: 2 };
    const uninterrupted = flaky(3);
    const reference = await toPromise(createActor(parentOf(withRetry(uninterrupted.logic, policy))).start());
    expect(reference.output).toBe('ok');

    const { calls, logic } = flaky(3);
    const machine = parentOf(withRetry(logic, policy));
    let actor = createActor(machine).start();
    let restores = 0;
    while (actor.getSnapshot().status === 'active') {
      const child = childOf(actor.getPersistedSnapshot());
      if (child?.retryAt != null && restores < child.attempt) {
        // A "crash" in the middle of the wait: checkpoint, stop, stay down a while, restore.
        const checkpoint = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Snapshot<unknown>;
        actor.stop();
        await sleep(10);
        actor = createActor(machine, { snapshot: checkpoint }).start();
        restores++;
      }
      await sleep(2);
    }
    expect(actor.getSnapshot().context.output).toBe('ok');
    expect(restores).toBe(3);
    expect(calls).toHaveLength(uninterrupted.calls.length);
    const gaps = calls.slice(1).map((at, i) => at - calls[i]!);
    // Timers may fire late, never early (1 ms slack for timer rounding).
    [40, 80, 160].forEach((wait, i) => expect(gaps[i]).toBeGreaterThanOrEqual(wait - 1));
  });

  it('runs an attempt cut off by a restart again under the same number', async () => {
    let release!: () => void;
    const started: number[] = [];
    const logic = fromPromise(async ({ input }: { input: { run: number } }) => {
      started.push(input.run);
      if (started.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return 'ok';
    });
    const machine = parentOf(withRetry(logic, { maximumAttempts: 1 }), { run: 1 });
    const actor = createActor(machine).start();
    await sleep(1);
    const checkpoint = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as Snapshot<unknown>;
    actor.stop();
    release();
    expect(childOf(checkpoint)).toMatchObject({ attempt: 1, retryAt: null });
    const restored = await toPromise(createActor(machine, { snapshot: checkpoint }).start());
    expect(restored.output).toBe('ok');
    expect(started).toEqual([1, 1]);
  });
});

/** A new memory adapter holding the generations of `key` up to and including `seq`: the store as a crash at that moment left it. */
async function storeAsOf(source: CheckpointAdapter, key: string, seq: number): Promise<CheckpointAdapter> {
  const copy = memoryAdapter();
  for (const generation of (await source.list(key)).reverse()) {
    if (generation.seq > seq) break;
    await copy.write(key, { ...generation, bytes: (await source.read(key, generation.seq))! });
  }
  return copy;
}

describe('withRetry through persistActor', () => {
  it('a crash after any generation ends on the uninterrupted attempt count', async () => {
    const policy: RetryPolicy = { initialInterval: 10, backoffCoefficient: 2 };
    const options = { key: 'call', debounce: { wait: 0, maxWait: 0 }, retain: { latest: 1000 }, flushOnExit: false };
    const adapter = memoryAdapter();
    const first = await persistActor(parentOf(withRetry(flaky(3, 15).logic, policy)), { ...options, adapter });
    let finalAttempt: number | undefined;
    watchProgress(first.actor, (progress) => (finalAttempt = progress.attempt));
    expect(await toPromise(first.actor)).toMatchObject({ output: 'ok' });
    await first.close();
    expect(finalAttempt).toBe(4);
    const generations = await adapter.list('call');

    const kinds = new Set<string>();
    for (const { seq } of generations) {
      const store = await storeAsOf(adapter, 'call', seq);
      const [newest] = await store.list('call');
      const payload = taggedJsonCodec.decode(openEnvelope((await store.read('call', newest!.seq))!).payload);
      const child = childOf((payload as { snapshot: unknown }).snapshot) as
        { attempt: number; retryAt: number | null; status: string } | undefined;
      // The service has failed once per attempt that ended before this checkpoint.
      const failedBefore = child === undefined ? 3 : child.retryAt === null ? child.attempt - 1 : child.attempt;
      kinds.add(child === undefined ? 'finished' : child.retryAt === null ? 'mid-attempt' : 'waiting');
      const service = flaky(3 - failedBefore, 15);
      const restored = await persistActor(parentOf(withRetry(service.logic, policy)), { ...options, adapter: store });
      let attempt: number | undefined = child?.attempt;
      watchProgress(restored.actor, (progress) => (attempt = progress.attempt));
      expect(await toPromise(restored.actor), `generation ${seq}`).toMatchObject({ output: 'ok' });
      await restored.close();
      if (child !== undefined) expect(attempt, `generation ${seq}`).toBe(4);
      expect(service.calls, `generation ${seq}`).toHaveLength(child === undefined ? 0 : 4 - failedBefore);
    }
    expect([...kinds].sort()).toEqual(['finished', 'mid-attempt', 'waiting']);
  });
});

describe('withRetry around resumable work', () => {
  it('resumes at the failed item and budgets consecutive failures of one item', async () => {
    const processed: number[] = [];
    const failuresLeft = new Map([
      [2, 2],
      [5, 2],
    ]);
    const batch = fromResumable({
      items: () => [0, 1, 2, 3, 4, 5, 6],
      process: async ({ index }) => {
        processed.push(index);
        await sleep(0);
        const left = failuresLeft.get(index) ?? 0;
        if (left > 0) {
          failuresLeft.set(index, left - 1);
          throw new Error(`item ${index} failed`);
        }
        return index;
      },
      initial: () => 0,
      reduce: (sum, value) => sum + value,
    });
    // Three attempts per item: two failures at item 2 and two at item 5 both fit, four in a row would not.
    const actor = createActor(parentOf(withRetry(batch, { initialInterval: 5, maximumAttempts: 3 })));
    const attempts: Array<[number, number]> = [];
    actor.system.inspect((event) => {
      const progress = event.type === '@xstate.snapshot' ? readProgress(event.snapshot) : undefined;
      if (progress?.attempt !== undefined && event.actorRef !== actor) attempts.push([progress.done, progress.attempt]);
    });
    const output = await toPromise(actor.start());
    expect(output.output).toBe(0 + 1 + 2 + 3 + 4 + 5 + 6);
    expect(processed).toEqual([0, 1, 2, 2, 2, 3, 4, 5, 5, 5, 6]);
    expect(attempts).toContainEqual([2, 3]);
    expect(attempts).toContainEqual([5, 3]);
    expect(attempts.at(-1)).toEqual([7, 3]);
  });
});
