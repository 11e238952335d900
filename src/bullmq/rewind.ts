// A retried job whose actor failed starts again from its last checkpoint before the failure.
import type { AnyActorLogic } from 'xstate';
import type { PersistedActor } from '../persist.js';

const failed = (snapshot: unknown) => (snapshot as { status?: unknown } | null)?.status === 'error';

/**
 * When `persisted` was restored failed (its job failed and BullMQ retries
 * it), rolls it back to the newest generation that had not failed, which is
 * written as a new generation and started: the retry redoes the failed step,
 * not the whole job, and not nothing. With no such generation left (retention
 * dropped them), it starts over from the machine's initial state. Returns what
 * it did; `'none'` leaves the actor untouched (not started).
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { rewindFailed } from './rewind.js';
 * const persisted = await persistActor(createMachine({}), { key: 'k', adapter: memoryAdapter(), start: false });
 * await rewindFailed(persisted); // 'none'
 * ```
 */
export async function rewindFailed<TLogic extends AnyActorLogic>(
  persisted: PersistedActor<TLogic>,
): Promise<{ readonly action: 'none' | 'rollback' | 'fresh'; readonly seq?: number }> {
  if (!failed(persisted.actor.getSnapshot())) return { action: 'none' };
  for (const generation of await persisted.history.list()) {
    // A generation that cannot be loaded is passed over, as restore passes over it.
    const loaded = await persisted.history.load(generation.seq).catch(() => undefined);
    if (loaded && !failed(loaded.snapshot)) {
      await persisted.history.rollback(generation.seq);
      return { action: 'rollback', seq: generation.seq };
    }
  }
  await persisted.clear();
  return { action: 'fresh' };
}
