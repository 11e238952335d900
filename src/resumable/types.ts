import type { ActorLogic, ActorSystem, Snapshot } from 'xstate';
import type { ProgressInfo } from '../progress.js';

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
