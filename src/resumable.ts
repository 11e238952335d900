import type { ActorScope, AnyActorRef, Snapshot, Subscription } from 'xstate';
import { CheckpointError } from './errors.js';
import { readProgress, sameProgress, type ProgressInfo } from './progress.js';
import { controllers, runBatch } from './resumable/batch.js';
import { resumableTransition } from './resumable/transition.js';
import type {
  AnyActorSystem,
  ResumableEvent,
  ResumableLogic,
  ResumableOptions,
  ResumableSnapshot,
} from './resumable/types.js';
import { childPath } from './xstate-internals.js';

export { readProgress, type ProgressInfo } from './progress.js';
export type * from './resumable/types.js';

/**
 * Marks logic whose failed snapshot can be resumed in place: `withRetry` calls
 * it to start the next attempt from where the failed one stopped instead of
 * from the beginning.
 */
export const resumeFrom: unique symbol = Symbol.for('xstate-checkpoint.resume');

/** Logic that {@link resumeFrom} understands. */
export interface ResumeCapable {
  readonly [resumeFrom]: (failed: Snapshot<unknown>) => Snapshot<unknown>;
}

/**
 * Actor logic that processes a list or a paged source item by item and
 * resumes where it stopped. Its snapshot carries the cursor and the partial
 * result, so when the parent machine is checkpointed and restored, the child
 * continues at the first item whose handler had not finished, instead of
 * starting over like `fromPromise` does.
 *
 * Guarantee: at-least-once per item. An item is redone after a crash only if
 * its handler finished after the last durable checkpoint; use
 * `idempotencyKey` to make the side effect apply once.
 *
 * Invoke it by name from `setup({ actors })` (XState cannot persist inline
 * actors) with an explicit `id`.
 *
 * @example
 * ```ts
 * import { createActor, setup } from 'xstate';
 * import { fromResumable } from 'xstate-checkpoint/durable';
 *
 * const importRows = fromResumable({
 *   items: ({ input }: { input: { rows: string[] } }) => input.rows,
 *   process: async ({ item, idempotencyKey }) => {
 *     await Promise.resolve([idempotencyKey, item]); // upsert into your store here
 *     return item.length;
 *   },
 *   initial: () => 0,
 *   reduce: (bytes, length) => bytes + length,
 * });
 *
 * const machine = setup({ actors: { importRows } }).createMachine({
 *   initial: 'importing',
 *   states: {
 *     importing: {
 *       invoke: { id: 'import', src: 'importRows', input: { rows: ['a', 'bb'] }, onDone: 'done' },
 *     },
 *     done: { type: 'final' },
 *   },
 * });
 * createActor(machine).start();
 * ```
 */
export function fromResumable<
  TItem,
  TValue = unknown,
  TResult = undefined,
  TInput = unknown,
  TOutput = TResult,
  TPage = unknown,
>(
  options: ResumableOptions<TItem, TValue, TResult, TInput, TOutput, TPage>,
): ResumableLogic<TOutput, TInput, TResult, TPage> & ResumeCapable {
  const every = options.checkpointEvery ?? 1;
  if ((options.items === undefined) === (options.load === undefined)) {
    throw new CheckpointError('invalid-option', { detail: 'fromResumable needs exactly one of `items` and `load`' });
  }
  if (!Number.isInteger(every) || every < 1) {
    throw new CheckpointError('invalid-option', {
      detail: `checkpointEvery must be a positive integer, got ${String(every)}`,
    });
  }
  type State = ResumableSnapshot<TOutput, TInput, TResult, TPage>;
  type Scope = ActorScope<State, ResumableEvent, AnyActorSystem>;

  return {
    config: options,
    transition: (snapshot, event, scope) => resumableTransition(options, snapshot, event, scope),
    getInitialSnapshot: (_scope, input) => ({
      status: 'active',
      output: undefined,
      error: undefined,
      input,
      cursor: { index: 0, page: null, offset: 0 },
      result: options.initial ? options.initial({ input }) : (undefined as TResult),
      progress: { done: 0 },
    }),
    start: (snapshot, scope) => {
      if (snapshot.status !== 'active') return;
      const controller = new AbortController();
      controllers.set(scope.self, controller);
      void runBatch(options, every, snapshot, scope as Scope, controller);
    },
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (persisted) => persisted as State,
    [resumeFrom]: (failed) => (failed.status === 'error' ? { ...failed, status: 'active', error: undefined } : failed),
  };
}

/** What {@link watchProgress} reports: the progress of one actor in the system. */
export interface ProgressReport extends ProgressInfo {
  /**
   * The ids of the actors from the root's child down to the one that made
   * progress, joined by `/` (`'import'`, or `'order/charge'` for a grandchild).
   * The root itself reports its own id.
   */
  readonly actorId: string;
}

/**
 * Calls `listener` whenever any actor in `actor`'s system (the root and every
 * descendant) publishes a changed {@link ProgressInfo}: at once for the actors
 * that already exist, once when one starts or is restored, then on each change
 * of `done`, `total`, `attempt`, `maxAttempts` or `retryAt`. `persistActor`
 * can use it for its `progress` events.
 *
 * @example
 * ```ts
 * import { createActor, fromPromise } from 'xstate';
 * import { watchProgress, withRetry } from 'xstate-checkpoint/durable';
 *
 * const actor = createActor(withRetry(fromPromise(async () => 'ok'), { maximumAttempts: 3 }));
 * const subscription = watchProgress(actor, (p) => console.log(p.actorId, `attempt ${p.attempt} of ${p.maxAttempts}`));
 * actor.start();
 * subscription.unsubscribe();
 * ```
 */
export function watchProgress(actor: AnyActorRef, listener: (report: ProgressReport) => void): Subscription {
  const last = new WeakMap<object, ProgressInfo>();
  const report = (ref: AnyActorRef, snapshot: unknown) => {
    const progress = readProgress(snapshot);
    if (progress === undefined) return;
    const before = last.get(ref);
    if (before !== undefined && sameProgress(before, progress)) return;
    last.set(ref, progress);
    try {
      listener({ ...progress, actorId: pathOf(ref) });
    } catch (error) {
      // A throwing listener must not break the actor that is mid-update; report it on a later tick.
      setTimeout(() => {
        throw error;
      }, 0);
    }
  };
  const subscription = actor.system.inspect((event) => {
    if (event.type === '@xstate.snapshot') report(event.actorRef as AnyActorRef, event.snapshot);
  });
  // Work may have moved before the watch began (a promise can settle while the caller awaits): report where it is now.
  const visit = (ref: AnyActorRef) => {
    const snapshot: unknown = ref.getSnapshot();
    report(ref, snapshot);
    const children = (snapshot as { children?: Record<string, AnyActorRef> } | undefined)?.children;
    if (children) for (const id in children) visit(children[id]!);
  };
  visit(actor);
  return subscription;
}

function pathOf(actor: AnyActorRef): string {
  const ids = childPath(actor)!;
  return ids.length === 0 ? actor.id : ids.join('/');
}
