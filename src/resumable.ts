import type { ActorLogic, ActorScope, ActorSystem, AnyActorRef, Snapshot, Subscription } from 'xstate';
import { CheckpointError } from './errors.js';
import { readProgress, sameProgress, type ProgressInfo } from './progress.js';
import { childPath } from './xstate-internals.js';

export { readProgress, type ProgressInfo } from './progress.js';

/** Any XState actor system (XState does not export its own `AnyActorSystem`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the same `any` XState uses for it.
export type AnyActorSystem = ActorSystem<any>;

/** Where a {@link fromResumable} batch stands: everything before it is done and folded into the result. */
export interface ResumableCursor<TPage> {
  /** Items finished overall; the next item to process has this index. */
  readonly index: number;
  /** The token of the page being worked on (`null`: the first page, or a list source). */
  readonly page: TPage | null;
  /** Items finished inside that page. */
  readonly offset: number;
}

/** The snapshot of a {@link fromResumable} actor; everything in it is plain data and is checkpointed. */
export type ResumableSnapshot<TOutput, TInput, TResult, TPage> = Snapshot<TOutput> & {
  readonly input: TInput;
  readonly cursor: ResumableCursor<TPage>;
  /** The partial result: `initial` folded with `reduce` over every finished item. */
  readonly result: TResult;
  readonly progress: ProgressInfo;
};

/** One page of a paged source (see {@link ResumableOptions.load}). */
export interface ResumablePage<TItem, TPage> {
  readonly items: readonly TItem[];
  /** The token of the next page; `null` or absent when this is the last page. */
  readonly next?: TPage | null | undefined;
  /** Items in the whole source, when known. */
  readonly total?: number | undefined;
}

/** What the item handler receives. */
export interface ResumableItemArgs<TItem, TInput> {
  readonly item: TItem;
  /** Position of the item in the whole source, 0-based. */
  readonly index: number;
  /**
   * `${key}:${index}`: the same for every delivery of this item, also after a
   * restart. Pass it to the system you write to so a redelivered item is
   * applied once (an upsert key, an `Idempotency-Key` header, a unique column).
   */
  readonly idempotencyKey: string;
  /** Aborted when the actor stops (its parent left the state, or the actor was closed). */
  readonly signal: AbortSignal;
  readonly input: TInput;
}

/** Options of {@link fromResumable}. Give exactly one of `items` and `load`. */
export interface ResumableOptions<TItem, TValue, TResult, TInput, TOutput, TPage> {
  /**
   * The whole list, built from the input. Called again on every start and
   * restore, so it must return the same items in the same order each time.
   */
  readonly items?: (args: { readonly input: TInput }) => Iterable<TItem> | PromiseLike<Iterable<TItem>>;
  /**
   * A paged source: loads the page named by `page` (`null` for the first).
   * Page tokens are checkpointed, so they must be plain data, and loading the
   * same token again must give the same items.
   */
  readonly load?: (args: {
    readonly input: TInput;
    readonly page: TPage | null;
    readonly signal: AbortSignal;
  }) => ResumablePage<TItem, TPage> | PromiseLike<ResumablePage<TItem, TPage>>;
  /**
   * Does the work for one item. The cursor moves past the item only after the
   * returned promise resolves; a rejection fails the actor (wrap the logic in
   * `withRetry` to retry from this item).
   */
  readonly process: (args: ResumableItemArgs<TItem, TInput>) => TValue | PromiseLike<TValue>;
  /** The starting partial result. @default () => undefined */
  readonly initial?: (args: { readonly input: TInput }) => TResult;
  /**
   * Folds one item's value into the partial result. The result is copied
   * (`structuredClone`) whenever it is handed to the snapshot, so mutating it
   * is safe, but it is checkpointed with every save: keep it small (counts,
   * sums, ids), and put bulk output into the store you write to.
   * @default keeps the result unchanged
   */
  readonly reduce?: (result: TResult, value: TValue, item: TItem, index: number) => TResult;
  /** Turns the final result into the actor's output. @default the result itself */
  readonly output?: (args: { readonly result: TResult; readonly input: TInput; readonly count: number }) => TOutput;
  /**
   * Prefix of every idempotency key. Use something that names the job across
   * restarts (a job id from the input); the invoke id is only unique inside
   * its parent.
   * @default the actor's id (give the invoke an explicit `id`)
   */
  readonly key?: (args: { readonly input: TInput; readonly id: string }) => string;
  /**
   * Publish the cursor to the snapshot after every N items. Between
   * publications a crash redoes up to N-1 more items; publishing is cheap (one
   * event) and the kit's debounce decides how often a checkpoint is written.
   * @default 1
   */
  readonly checkpointEvery?: number;
}

/** Events a resumable actor sends itself; any other event is ignored. */
export type ResumableEvent = { type: string; [key: string]: unknown };

/** The logic {@link fromResumable} returns. */
export type ResumableLogic<TOutput, TInput, TResult, TPage> = ActorLogic<
  ResumableSnapshot<TOutput, TInput, TResult, TPage>,
  ResumableEvent,
  TInput,
  AnyActorSystem
>;

const ADVANCE = 'xstate-checkpoint.resumable.advance';
const FINISH = 'xstate-checkpoint.resumable.done';
const FAIL = 'xstate-checkpoint.resumable.error';
const STOP = 'xstate.stop';

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

const controllers = new WeakMap<AnyActorRef, AbortController>();

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

  const loadPage = async (
    input: TInput,
    page: TPage | null,
    signal: AbortSignal,
    list: { items?: readonly TItem[] },
  ): Promise<ResumablePage<TItem, TPage>> => {
    if (options.load) return options.load({ input, page, signal });
    list.items ??= Array.from(await options.items!({ input }));
    return { items: list.items, total: list.items.length };
  };

  const run = async (snapshot: State, scope: Scope, controller: AbortController): Promise<void> => {
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
        const chunk = await loadPage(input, page, signal, list);
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
  };

  const advanced = (snapshot: State, event: ResumableEvent): State => {
    const cursor = event.cursor as ResumableCursor<TPage>;
    const total = event.total as number | undefined;
    return {
      ...snapshot,
      cursor,
      result: event.result as TResult,
      progress: total === undefined ? { done: cursor.index } : { done: cursor.index, total },
    };
  };

  return {
    config: options,
    transition: (snapshot, event, scope) => {
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
    },
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
      void run(snapshot, scope as Scope, controller);
    },
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (persisted) => persisted as State,
    [resumeFrom]: (failed) => (failed.status === 'error' ? { ...failed, status: 'active', error: undefined } : failed),
  };
}

// The loop keeps working on its own copy, so a reducer that mutates cannot
// change a snapshot that is already waiting to be checkpointed.
function copy<T>(value: T): T {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
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
