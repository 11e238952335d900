import { assign, createMachine } from 'xstate';
import { persistActor, type CheckpointAdapter, type CheckpointError } from 'xstate-checkpoint';

/** A machine whose context counts `INC` events: what a restore must bring back is one number. */
export const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

/** Writes generations 1 to `n` of `key` on `adapter`, generation `i` holding count `i`. */
export async function countTo(adapter: CheckpointAdapter, n: number, key = 'k'): Promise<void> {
  const p = await persistActor(counter, { key, adapter, flushOnExit: false, debounce: { wait: 0, maxWait: 0 } });
  for (let i = 0; i < n; i++) {
    p.actor.send({ type: 'INC' });
    await p.flush();
  }
  await p.close();
}

/** Restores the counter of key `k` from `adapter` (with `lock` when asked), with what reaches `onError` in `errors`. */
export async function reopen(adapter: CheckpointAdapter, lock = false) {
  const errors: CheckpointError[] = [];
  const persisted = await persistActor(counter, {
    key: 'k',
    adapter,
    lock,
    flushOnExit: false,
    onError: (e) => errors.push(e),
  });
  return { persisted, errors };
}
