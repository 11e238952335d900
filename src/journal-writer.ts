import type { JournalEntry, JournalStore } from './adapter.js';
import { backoffDelay } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { CheckpointError, toCheckpointError, type CheckpointErrorCode } from './errors.js';
import { journalEntries, type PendingEntry } from './journal-entry.js';

/** Options of {@link JournalWriter}. */
export interface JournalWriterOptions {
  readonly store: JournalStore;
  readonly key: string;
  /** Adapter name, for errors. */
  readonly adapter: string;
  /** Fencing epoch passed with every append. */
  readonly epoch: number;
  /** Sequence of the first entry this writer records. */
  readonly firstSeq: number;
  readonly clock: Clock;
  /** An append failed; `attempt` counts consecutive failures. */
  readonly onError: (error: CheckpointError, attempt: number) => void;
  /** Entries became durable (in order). */
  readonly onDurable?: (entries: readonly JournalEntry[]) => void;
  /** Delay before retrying after `attempt` consecutive failures, in ms. @default min(5 s, 20 ms * 2^(attempt-1)) */
  readonly backoff?: (attempt: number) => number;
}

interface Waiter {
  /** Resolved once this entry is durable (raised while the waiter is the batch's, see `JournalWriter.batch`). */
  seq: number;
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: CheckpointError) => void;
}

function waiterFor(seq: number): Waiter {
  let resolve: () => void = () => undefined;
  let reject: (error: CheckpointError) => void = () => undefined;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { seq, promise, resolve, reject };
}

// Failures that retrying cannot fix: another writer owns the key, or the call itself is wrong.
const FATAL: ReadonlySet<CheckpointErrorCode> = new Set([
  'fenced',
  'conflict',
  'closed',
  'invalid-key',
  'invalid-option',
  'encode',
]);

// How many due appends quietTurn() lets go first before it resolves anyway.
const QUIET_TURN_TRIES = 4;

const g = globalThis as { setImmediate?: (fn: () => void) => unknown; MessageChannel?: typeof MessageChannel };
/**
 * Runs `fn` after the current macrotask and its microtasks (`setImmediate`,
 * else a `MessageChannel` message), so every sender woken by the previous
 * append has queued its next event by then.
 *
 * @example
 * ```ts
 * import { nextTurn } from './journal-writer.js';
 * nextTurn(() => console.log('after the microtasks'));
 * ```
 */
export const nextTurn: (fn: () => void) => void = (() => {
  const immediate = g.setImmediate;
  if (typeof immediate === 'function') return (fn) => void immediate(fn);
  if (typeof g.MessageChannel === 'function') {
    const queue: Array<() => void> = [];
    const channel = new g.MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (fn) => {
      queue.push(fn);
      channel.port2.postMessage(0);
    };
  }
  return (fn) => void setTimeout(fn, 0);
})();

/**
 * The journal's group commit: entries are numbered as they are recorded and
 * collected while an append is in flight (or until the current turn ends);
 * each append then carries all of them in one call, so one fsync or one
 * transaction acknowledges many events. Entries are appended strictly in
 * order; a failed append is retried with backoff, never skipped (the live
 * actor has processed those events already). Fatal failures (`fenced`,
 * `conflict`, ...) stop the writer and reject every waiting acknowledgement.
 *
 * @example
 * ```ts
 * import { systemClock } from 'xstate-checkpoint';
 * import { JournalWriter } from './journal-writer.js';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const writer = new JournalWriter({
 *   store: memoryAdapter().journal!, key: 'k', adapter: 'memory', epoch: 0, firstSeq: 1,
 *   clock: systemClock, onError: (error) => console.error(error),
 * });
 * const seq = writer.record(new Uint8Array([1]));
 * await writer.whenDurable(seq);
 * ```
 */
export class JournalWriter {
  private readonly o: JournalWriterOptions;
  private next: number;
  private durable: number;
  /** Entries recorded and not handed to the store yet: seqs `pendingFirst` to `next - 1`. */
  private pending: PendingEntry[] = [];
  private pendingFirst: number;
  private waiters: Waiter[] = [];
  /**
   * The waiter every acknowledgement of a pending entry shares: they all go
   * in the next group, so the group's durability resolves them at once
   * (one promise per group instead of one per event).
   */
  private batch: Waiter | undefined;
  /** Groups handed to the store and not settled yet, in order. */
  private inflight: JournalEntry[][] = [];
  /** Groups of this round that failed, kept until every group in flight has settled. */
  private failedGroups: JournalEntry[][] = [];
  private lastFailure: unknown;
  private scheduled = false;
  private retryTimer: TimerHandle = undefined;
  private failures = 0;
  private gate: Promise<unknown> | undefined;
  private closing = false;
  private stopped: CheckpointError | undefined;

  constructor(options: JournalWriterOptions) {
    this.o = options;
    this.next = options.firstSeq;
    this.pendingFirst = options.firstSeq;
    this.durable = options.firstSeq - 1;
  }

  /** Sequence of the last recorded entry. */
  get lastSeq(): number {
    return this.next - 1;
  }

  /** Sequence of the last durable entry. */
  get durableSeq(): number {
    return this.durable;
  }

  /** The error that stopped the writer, if any. */
  get halted(): CheckpointError | undefined {
    return this.stopped;
  }

  /**
   * Numbers an entry and queues it for the next append (a string is the entry's
   * UTF-8, encoded with its group: see `journalEntry`). Synchronous and cheap.
   */
  record(entry: PendingEntry): number {
    const seq = this.next++;
    this.pending.push(entry);
    this.kick();
    return seq;
  }

  /** Resolves when entry `seq` (and every one before it) is durable. */
  whenDurable(seq: number): Promise<void> {
    if (seq <= this.durable) return Promise.resolve();
    if (this.stopped) return Promise.reject(this.stopped);
    // close() with failed appends: try again at once instead of after the backoff.
    if (this.closing && this.retryTimer !== undefined) {
      this.o.clock.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.kick();
    }
    if (seq >= this.pendingFirst) {
      if (this.batch) {
        this.batch.seq = Math.max(this.batch.seq, seq);
        return this.batch.promise;
      }
      this.batch = waiterFor(seq);
      this.waiters.push(this.batch);
      return this.batch.promise;
    }
    // An entry already handed to the store: a waiter of its own.
    const waiter = waiterFor(seq);
    this.waiters.push(waiter);
    return waiter.promise;
  }

  /** Resolves when everything recorded so far is durable. */
  flush(): Promise<void> {
    return this.whenDurable(this.lastSeq);
  }

  /**
   * Resolves on a later turn, behind the start of the next append when one is
   * due (recorded entries waiting for their turn): background work that
   * awaits this between slices yields to the group commit, so it runs while
   * the store works instead of before a group is handed to it. It waits
   * behind a few appends at most, so it always goes on.
   */
  quietTurn(): Promise<void> {
    return new Promise<void>((resolve) => {
      let behind = 0;
      const turn = () => {
        if (this.scheduled && behind++ < QUIET_TURN_TRIES) nextTurn(turn);
        else resolve();
      };
      nextTurn(turn);
    });
  }

  /** Holds appends until `until` settles (e.g. the first snapshot generation is written). */
  hold(until: Promise<unknown>): void {
    const gate = until.then(
      () => undefined,
      () => undefined,
    );
    this.gate = gate;
    void gate.then(() => {
      if (this.gate === gate) this.gate = undefined;
      this.kick();
    });
  }

  /** Stops for good: waiting and later acknowledgements reject with `error`. */
  halt(error: CheckpointError): void {
    if (!this.stopped) this.stopped = error;
    if (this.retryTimer !== undefined) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.batch = undefined;
    for (const w of this.waiters.splice(0)) w.reject(this.stopped);
  }

  /** Flushes; from then on a failed append rejects the waiting flush instead of retrying. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer !== undefined) {
      this.o.clock.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.kick();
    }
    await this.flush();
  }

  /** No new group now: one in flight (two for a pipelined store), or a failed round not settled yet. */
  private busy(): boolean {
    const limit = this.o.store.pipelined === true ? 2 : 1;
    return this.inflight.length >= limit || this.failedGroups.length > 0;
  }

  private kick(): void {
    if (this.scheduled || this.busy() || this.pending.length === 0) return;
    if (this.stopped || this.gate || this.retryTimer !== undefined) return;
    this.scheduled = true;
    nextTurn(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    if (this.busy() || this.pending.length === 0 || this.stopped || this.gate) return;
    const group = journalEntries(this.pendingFirst, this.pending);
    this.pending = [];
    this.pendingFirst = this.next;
    // Later acknowledgements wait for a later group.
    this.batch = undefined;
    this.inflight.push(group);
    let call: Promise<void>;
    try {
      call = this.o.store.append(this.o.key, group, this.o.epoch);
    } catch (error) {
      call = Promise.reject(toCheckpointError(error, 'io', { key: this.o.key, adapter: this.o.adapter }));
    }
    call.then(
      () => this.done(group),
      (error: unknown) => this.failed(group, error),
    );
  }

  private done(group: JournalEntry[]): void {
    this.inflight.splice(this.inflight.indexOf(group), 1);
    const first = group[0]!.seq;
    // A pipelined store fails every call after a failed one; a success there breaks that rule.
    // A group before the failed one may still settle after it (its flush outlasted the next
    // group's failed write): it is durable, and only the failed groups go again.
    if (this.failedGroups.some((f) => f[0]!.seq < first)) {
      this.failed(group, this.lastFailure);
      return;
    }
    if (this.failedGroups.length === 0) this.failures = 0;
    this.durable = group[group.length - 1]!.seq;
    // A few waiters at most (one per group, and flushes): not kept in order.
    const waiting: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq <= this.durable) w.resolve();
      else waiting.push(w);
    }
    this.waiters = waiting;
    this.o.onDurable?.(group);
    if (this.failedGroups.length > 0) {
      if (this.inflight.length === 0) this.endRound();
      return;
    }
    this.kick();
  }

  private failed(group: JournalEntry[], caught: unknown): void {
    const at = this.inflight.indexOf(group);
    if (at >= 0) this.inflight.splice(at, 1);
    this.failedGroups.push(group);
    if (this.failedGroups.length === 1) this.lastFailure = caught;
    // The round ends when every group in flight has settled: then all go back, in order.
    if (this.inflight.length > 0) return;
    this.endRound();
  }

  /** Every group of a failed round has settled: the failed ones go back in front, in order, after the backoff. */
  private endRound(): void {
    const groups = this.failedGroups.sort((a, b) => a[0]!.seq - b[0]!.seq);
    this.failedGroups = [];
    const first = groups[0]!;
    const again: PendingEntry[] = [];
    for (const g of groups) for (const e of g) again.push(e.bytes);
    this.pending = again.concat(this.pending);
    this.pendingFirst = first[0]!.seq;
    this.failures++;
    const error = toCheckpointError(this.lastFailure, 'io', {
      key: this.o.key,
      adapter: this.o.adapter,
      seq: first[0]!.seq,
    });
    this.o.onError(error, this.failures);
    if (FATAL.has(error.code) || this.closing) {
      this.halt(
        FATAL.has(error.code)
          ? error
          : new CheckpointError(error.code, {
              key: this.o.key,
              adapter: this.o.adapter,
              seq: first[0]!.seq,
              cause: error,
              detail: `journal entries from ${first[0]!.seq} on are not durable (the actor was closed while appends failed)`,
            }),
      );
      return;
    }
    const delay = (this.o.backoff ?? defaultBackoff)(this.failures);
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }
}

function defaultBackoff(attempt: number): number {
  return backoffDelay(attempt - 1, { minMs: 20, maxMs: 5000 });
}
