// How a job's actor ended: its output, its error, or the reason the worker must give the job up.
import type { AnyActorLogic, OutputFrom } from 'xstate';
import type { CheckpointError } from '../errors.js';
import type { PersistedActor } from '../persist.js';

/**
 * Resolves with the actor's output once it is done; rejects with its error
 * when it fails, with a `fenced`/`conflict` checkpoint error when another
 * worker owns the key (the scheduler stopped writing), and with the signal's
 * reason when BullMQ cancels the job. Works for an actor restored already
 * done. `lost` lets the job-lock watch reject it too.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { actorOutcome } from './outcome.js';
 * const persisted = await persistActor(createMachine({ initial: 'a', states: { a: { type: 'final' } } }), {
 *   key: 'k',
 *   adapter: memoryAdapter(),
 * });
 * const { done } = actorOutcome(persisted);
 * await done; // undefined: the machine's output
 * ```
 */
export function actorOutcome<TLogic extends AnyActorLogic>(
  persisted: PersistedActor<TLogic>,
  signal?: AbortSignal,
): { readonly done: Promise<OutputFrom<TLogic>>; lost(error: CheckpointError): void; stop(): void } {
  let settle: { resolve: (output: OutputFrom<TLogic>) => void; reject: (error: unknown) => void };
  const done = new Promise<OutputFrom<TLogic>>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Rejections are awaited later (after `onActor`); until then they must not count as unhandled.
  done.catch(() => undefined);
  const check = () => {
    const snapshot = persisted.actor.getSnapshot() as { status: string; output?: unknown; error?: unknown };
    if (snapshot.status === 'done') settle.resolve(snapshot.output as OutputFrom<TLogic>);
    else if (snapshot.status === 'error') settle.reject(snapshot.error);
  };
  const subscription = persisted.actor.subscribe({ next: check, error: () => check(), complete: check });
  const offSaveError = persisted.on('save-error', ({ error }) => {
    if (error.code === 'fenced' || error.code === 'conflict') settle.reject(error);
  });
  const onAbort = () => settle.reject(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  check();
  return {
    done,
    lost: (error) => settle.reject(error),
    stop: () => {
      subscription.unsubscribe();
      offSaveError();
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
