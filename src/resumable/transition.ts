import type { ActorScope } from 'xstate';
import { ADVANCE, FAIL, FINISH, controllers } from './batch.js';
import type { AnyActorSystem, ResumableCursor, ResumableEvent, ResumableOptions, ResumableSnapshot } from './types.js';

const STOP = 'xstate.stop';

const advanced = <TOutput, TInput, TResult, TPage>(
  snapshot: ResumableSnapshot<TOutput, TInput, TResult, TPage>,
  event: ResumableEvent,
): ResumableSnapshot<TOutput, TInput, TResult, TPage> => {
  const cursor = event.cursor as ResumableCursor<TPage>;
  const total = event.total as number | undefined;
  return {
    ...snapshot,
    cursor,
    result: event.result as TResult,
    progress: total === undefined ? { done: cursor.index } : { done: cursor.index, total },
  };
};

/**
 * The resumable actor's transition: the batch's own events move the cursor
 * and the partial result (and end the actor, done with its `output` or
 * failed); a stop aborts the running batch; any other event is ignored.
 *
 * @example
 * ```ts
 * const logic = { transition: (snapshot, event, scope) => resumableTransition(options, snapshot, event, scope) };
 * ```
 */
export function resumableTransition<TItem, TValue, TResult, TInput, TOutput, TPage>(
  options: ResumableOptions<TItem, TValue, TResult, TInput, TOutput, TPage>,
  snapshot: ResumableSnapshot<TOutput, TInput, TResult, TPage>,
  event: ResumableEvent,
  scope: ActorScope<ResumableSnapshot<TOutput, TInput, TResult, TPage>, ResumableEvent, AnyActorSystem>,
): ResumableSnapshot<TOutput, TInput, TResult, TPage> {
  if (snapshot.status !== 'active') return snapshot;
  switch (event.type) {
    case ADVANCE:
      return advanced(snapshot, event);
    case FINISH: {
      const next = advanced(snapshot, event);
      const output = options.output
        ? options.output({ result: next.result, input: next.input, count: next.cursor.index })
        : (next.result as unknown as TOutput);
      return { ...next, status: 'done', output, error: undefined };
    }
    case FAIL:
      return { ...advanced(snapshot, event), status: 'error', output: undefined, error: event.error };
    case STOP:
      controllers.get(scope.self)?.abort();
      controllers.delete(scope.self);
      return { ...snapshot, status: 'stopped', output: undefined, error: undefined };
    default:
      return snapshot;
  }
}
