// The child process of the durable-work kill -9 tests (batch.test.ts). It is
// killed with SIGKILL at random moments and started again on the same store.
//
//   batch <store> <log> <items>   import <items> items with fromResumable; each item's side
//                                 effect is one line "<index>" appended to <log>
//   retry <store> <log>           call a service that fails its first 3 calls, wrapped in withRetry;
//                                 each call appends "<time>" to <log>
//
// Lines on stdout (JSON): {"type":"ready"} once restored and running,
// {"type":"progress","done"} every 100 items of the batch,
// {"type":"waiting","attempt","retryAt"} once a wait between attempts is durable,
// {"type":"done","output"} when the work finished and its final state is durable.
import { appendFileSync, readFileSync } from 'node:fs';
import { assign, fromPromise, setup, type AnyActorLogic } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { fromResumable, watchProgress, withRetry } from 'xstate-checkpoint/durable';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { foldWeight, weight, type BatchOutput } from './batch-data.js';

const [mode, store, log, count = '10000'] = process.argv.slice(2);
if ((mode !== 'batch' && mode !== 'retry') || !store || !log) {
  console.error('usage: batch-worker.ts batch|retry <store> <log> [items]');
  process.exit(2);
}
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const importItems = fromResumable({
  items: ({ input }: { input: { count: number } }) => Array.from({ length: input.count }, (_, i) => i),
  process: async ({ index }) => {
    // The side effect is done (in the page cache, which survives SIGKILL) before the handler resolves.
    appendFileSync(log, `${index}\n`);
    if (index % 10 === 9) await sleep(1);
    return weight(index);
  },
  initial: (): BatchOutput => ({ count: 0, sum: 0 }),
  reduce: foldWeight,
  key: () => 'batch-job',
});

/** A remote service that fails the first 3 calls it ever receives (its memory is the log file). */
const callService = fromPromise(async () => {
  const before = readFileSync(log, { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean).length;
  appendFileSync(log, `${Date.now()}\n`);
  if (before < 3) throw new Error(`service unavailable (call ${before + 1})`);
  return { calls: before + 1 };
});
const retried = withRetry(callService, { initialInterval: 800, backoffCoefficient: 1.25, maximumAttempts: 6 });

const work: AnyActorLogic = mode === 'batch' ? importItems : retried;
const machine = setup({ actors: { work } }).createMachine({
  id: `durable-${mode}`,
  initial: 'idle',
  context: { output: undefined },
  states: {
    idle: { on: { start: 'working' } },
    working: {
      invoke: {
        id: 'work',
        src: 'work',
        input: { count: Number(count) },
        onDone: { target: 'done', actions: assign({ output: ({ event }) => event.output as unknown }) },
      },
    },
    done: { type: 'final' },
  },
});

const persisted = await persistActor(machine, {
  key: mode,
  adapter: fileAdapter({ dir: store }),
  debounce: { wait: 10, maxWait: 50 },
  flushOnExit: false,
});
const { actor } = persisted;

const stillWaiting = (retryAt: number) =>
  (actor.getSnapshot().children['work']?.getSnapshot() as { retryAt?: number } | undefined)?.retryAt === retryAt;
watchProgress(actor, (progress) => {
  const { retryAt } = progress;
  if (mode === 'batch' && progress.done % 100 === 0) say({ type: 'progress', done: progress.done });
  if (retryAt === undefined) return;
  // Announce the wait once it is durable (and still on), so a kill right after it lands between attempts.
  void persisted.flush().then(() => {
    if (stillWaiting(retryAt)) say({ type: 'waiting', attempt: progress.attempt, retryAt });
  });
});
// Like a queued job: the work starts once the fresh state is durable, so the first write's cost is not in the timings.
await persisted.flush();
if (actor.getSnapshot().value === 'idle') actor.send({ type: 'start' });
say({ type: 'ready', restored: persisted.restored.source });

const finished = () => {
  void persisted.flush().then(async () => {
    say({ type: 'done', output: actor.getSnapshot().context.output });
    await persisted.close();
    process.exit(0);
  });
};
if (actor.getSnapshot().status === 'done') finished();
else
  actor.subscribe((snapshot) => {
    if (snapshot.status === 'done') finished();
  });
