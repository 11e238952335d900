import type { ActorScope, AnyActorRef } from 'xstate';
import type { AnyActorSystem, ResumableEvent, ResumableOptions, ResumablePage, ResumableSnapshot } from './types.js';

/**
 * The event a batch sends its own actor after items are done: the cursor, the partial result, the total.
 *
 * @example
 * ```ts
 * self.send({ type: ADVANCE, cursor, result, total });
 * ```
 */
export const ADVANCE = 'xstate-checkpoint.resumable.advance';

/**
 * The event a batch sends its own actor once the whole source is done (with the final cursor and result).
 *
 * @example
 * ```ts
 * self.send({ type: FINISH, cursor, result, total });
 * ```
 */
export const FINISH = 'xstate-checkpoint.resumable.done';

/**
 * The event a batch sends its own actor when loading or an item failed (with the cursor at that item and the error).
 *
 * @example
 * ```ts
 * self.send({ type: FAIL, cursor, result, total, error });
 * ```
 */
export const FAIL = 'xstate-checkpoint.resumable.error';

/**
 * The running batch of each actor, aborted when the actor stops.
 *
 * @example
 * ```ts
 * controllers.get(scope.self)?.abort();
 * ```
 */
export const controllers = new WeakMap<AnyActorRef, AbortController>();

/** Longest stretch, in ms, a batch runs without letting timers and I/O in. */
const YIELD_EVERY_MS = 10;

/** Resolves on a later turn of the event loop, once pending timers and I/O callbacks had theirs. */
function macrotask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => void immediate(resolve));
  // Browsers clamp nested setTimeout(0) to 4 ms; a message is a macrotask without the clamp.
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => void setTimeout(resolve, 0));
}

// The loop keeps working on its own copy, so a reducer that mutates cannot
// change a snapshot that is already waiting to be checkpointed.
function copy<T>(value: T): T {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

const loadPage = async <TItem, TValue, TResult, TInput, TOutput, TPage>(
  options: ResumableOptions<TItem, TValue, TResult, TInput, TOutput, TPage>,
  input: TInput,
  page: TPage | null,
  signal: AbortSignal,
  list: { items?: readonly TItem[] },
): Promise<ResumablePage<TItem, TPage>> => {
  if (options.load) return options.load({ input, page, signal });
  list.items ??= Array.from(await options.items!({ input }));
  return { items: list.items, total: list.items.length };
};

/**
 * Runs a batch from `snapshot`'s cursor: loads each page, processes its
 * items one by one and publishes the cursor and the partial result to the
 * actor every `every` items (letting timers and I/O in now and then), then
 * the end or the failure. Nothing is published once `controller` aborted.
 *
 * @example
 * ```ts
 * void runBatch(options, every, snapshot, scope, controller);
 * ```
 */
export async function runBatch<TItem, TValue, TResult, TInput, TOutput, TPage>(
  options: ResumableOptions<TItem, TValue, TResult, TInput, TOutput, TPage>,
  every: number,
  snapshot: ResumableSnapshot<TOutput, TInput, TResult, TPage>,
  scope: ActorScope<ResumableSnapshot<TOutput, TInput, TResult, TPage>, ResumableEvent, AnyActorSystem>,
  controller: AbortController,
): Promise<void> {
  const { self } = scope;
  const { signal } = controller;
  const { input } = snapshot;
  const { process: handle, reduce } = options;
  let { index, page, offset } = snapshot.cursor;
  // The snapshot's result must stay as it was published; the loop folds into its own copy.
  let result = copy(snapshot.result);
  let total = snapshot.progress.total;
  let unpublished = 0;
  let lastTurn = Date.now();
  // Checked several times per item: a local flag is cheaper than the signal's `aborted` getter.
  let stopped = false;
  signal.addEventListener('abort', () => (stopped = true), { once: true });
  const list: { items?: readonly TItem[] } = {};
  const publish = (type: string, extra?: Record<string, unknown>) => {
    if (stopped || self.getSnapshot().status !== 'active') return;
    self.send({ type, cursor: { index, page, offset }, result: copy(result), total, ...extra });
  };
  try {
    const prefix = options.key ? options.key({ input, id: self.id }) : self.id;
    for (;;) {
      const chunk = await loadPage(options, input, page, signal, list);
      if (stopped) return;
      if (chunk.total !== undefined) total = chunk.total;
      const items = chunk.items;
      while (offset < items.length) {
        // A stop that arrived while the previous item was published must not start another one.
        if (stopped) return;
        const item = items[offset] as TItem;
        const value = await handle({ item, index, idempotencyKey: `${prefix}:${index}`, signal, input });
        // Stopped while the handler ran: the snapshot is final, so nothing more is published.
        if (stopped) return;
        if (reduce) result = reduce(result, value, item, index);
        index++;
        offset++;
        if (++unpublished >= every) {
          unpublished = 0;
          publish(ADVANCE);
          // Handlers that never wait on I/O would keep the loop in microtasks and starve
          // timers and I/O, the kit's checkpoint writes included: give them a turn now and then.
          const now = Date.now();
          if (now - lastTurn >= YIELD_EVERY_MS) {
            await macrotask();
            lastTurn = Date.now();
            if (stopped) return;
          }
        }
      }
      const next = chunk.next ?? null;
      if (next === null) break;
      page = next;
      offset = 0;
    }
    publish(FINISH);
  } catch (error) {
    publish(FAIL, { error });
  } finally {
    if (controllers.get(self) === controller) controllers.delete(self);
  }
}
