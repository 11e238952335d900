import type { Clock, TimerHandle } from './clock.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import { backoffDelay } from './backoff.js';

/** When checkpoints are written after changes. */
export interface DebounceOptions {
  /** Quiet time after the last change before a checkpoint is written, in ms. @default 100 */
  readonly wait?: number;
  /** Longest time a change may stay unwritten under continuous changes, in ms. @default 1000 */
  readonly maxWait?: number;
}

/** What one completed write reports. */
export interface FlushInfo {
  /** The generation written. */
  readonly seq: number;
  /** Envelope size in bytes. */
  readonly byteLength: number;
  /** Time the write took, in ms. */
  readonly durationMs: number;
}

/** Options of {@link WriteScheduler}. */
export interface WriteSchedulerOptions {
  readonly clock: Clock;
  readonly wait: number;
  readonly maxWait: number;
  /** Captures the newest state and writes it; resolves when durable. */
  readonly write: () => Promise<FlushInfo>;
  /** A background write failed (flush callers get the rejection instead). */
  readonly onError: (error: CheckpointError, attempt: number) => void;
  /** Backoff after `attempt` consecutive failures, in ms. @default min(30 s, 100 ms * 2^(attempt-1)) */
  readonly backoff?: (attempt: number) => number;
}

interface Waiter {
  readonly target: number;
  readonly resolve: (info: FlushInfo | undefined) => void;
  readonly reject: (error: CheckpointError) => void;
}

/**
 * Turns a stream of "something changed" notifications into checkpoint writes:
 * trailing debounce with a max wait, one write in flight, later changes
 * coalesced into the next write, nothing before {@link open} or after
 * {@link close}. The hot path is a counter increment; the clock is read once
 * per task (changes of one synchronous run share its time).
 *
 * @example
 * ```ts
 * import { systemClock } from 'xstate-checkpoint';
 * import { WriteScheduler } from 'xstate-checkpoint/pipeline';
 * const scheduler = new WriteScheduler({
 *   clock: systemClock,
 *   wait: 100,
 *   maxWait: 1000,
 *   write: async () => ({ seq: 1, byteLength: 10, durationMs: 1 }),
 *   onError: (error) => console.error(error),
 * });
 * scheduler.open();
 * scheduler.notify();
 * await scheduler.flush();
 * ```
 */
export class WriteScheduler {
  private readonly o: WriteSchedulerOptions;
  private state: 'gated' | 'open' | 'closing' | 'closed' = 'gated';
  private changes = 0;
  private written = 0;
  private firstUnwrittenAt: number | undefined;
  private lastChangeAt = 0;
  private timer: TimerHandle = undefined;
  private timerDue = 0;
  private inflight: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private waiters: Waiter[] = [];
  private lastInfo: FlushInfo | undefined;
  private stopped: CheckpointError | undefined;

  constructor(options: WriteSchedulerOptions) {
    if (!(options.wait >= 0) || !(options.maxWait >= options.wait)) {
      throw new CheckpointError('invalid-option', {
        detail: `debounce needs 0 <= wait <= maxWait (got wait ${options.wait}, maxWait ${options.maxWait})`,
      });
    }
    this.o = options;
  }

  /** True when changes exist that are not yet durable. */
  get pending(): boolean {
    return this.changes > this.written;
  }

  /** The last successful write, if any. */
  get last(): FlushInfo | undefined {
    return this.lastInfo;
  }

  /**
   * Records a change. After the first change of a task it is one counter
   * increment: the task's time, the armed timer or the write in flight that
   * will pick the change up, and the state are then already settled.
   */
  notify(): void {
    if (this.counting) {
      this.changes++;
      return;
    }
    if (this.state === 'closed' || this.stopped) return;
    const now = this.changeTime();
    if (this.changes === this.written) this.firstUnwrittenAt = now;
    this.changes++;
    this.lastChangeAt = now;
    if (this.state === 'open' && this.timer === undefined && this.inflight === undefined) this.arm(now);
    // Only while open with a timer armed or a write in flight: either looks at
    // `changes` when it runs, so a change counted without the rest is written.
    this.counting = this.state === 'open' && (this.timer !== undefined || this.inflight !== undefined);
  }

  /**
   * While gated: counts every change recorded so far as written, because that
   * state is already durable (an actor just restored from its newest
   * checkpoint reports changes while it starts).
   */
  settle(): void {
    this.counting = false;
    if (this.state === 'gated') this.written = this.changes;
  }

  // One clock read per task instead of one per change: changes made in one
  // synchronous run share its time (no timer can fire inside it), which takes
  // the clock read (about 5% of an XState transition) off the hot path.
  private stamp: number | undefined;
  /**
   * True while {@link notify} need only count: set by a full notify, cleared
   * by anything that changes what a full one would do (a new task and so a new
   * time, a timer that fired or was cancelled, a finished write, a state change).
   */
  private counting = false;
  private readonly expireStamp = (): void => {
    this.stamp = undefined;
    this.counting = false;
  };
  private changeTime(): number {
    if (this.stamp !== undefined) return this.stamp;
    const now = this.o.clock.now();
    this.stamp = now;
    queueMicrotask(this.expireStamp);
    return now;
  }

  /** Starts writing (after restore is complete). Changes recorded while gated are scheduled now. */
  open(): void {
    this.counting = false;
    if (this.state !== 'gated') return;
    this.state = 'open';
    if (this.pending) this.arm(this.o.clock.now());
  }

  /**
   * Writes now if anything is pending; resolves when every change recorded
   * before the call is durable (with the info of the write that made it so),
   * rejects with the write's error.
   */
  flush(): Promise<FlushInfo | undefined> {
    if (this.stopped) return Promise.reject(this.stopped);
    if (!this.pending) return Promise.resolve(this.lastInfo);
    if (this.state === 'closed') {
      return Promise.reject(
        new CheckpointError('closed', { detail: 'the persisted actor was closed before this change was written' }),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ target: this.changes, resolve, reject });
      if (this.state === 'gated') return;
      this.cancelTimer();
      if (this.inflight === undefined) this.start();
    });
  }

  /** Flushes, then refuses any further change. Idempotent. */
  async close(): Promise<void> {
    this.counting = false;
    if (this.state === 'closed') return;
    if (this.state === 'gated') this.state = 'open';
    this.state = 'closing';
    try {
      if (!this.stopped) await this.flush();
    } finally {
      this.state = 'closed';
      this.counting = false;
      this.cancelTimer();
    }
  }

  /** Stops all writing for good with `error` (e.g. the writer was fenced); pending flushes reject with it. */
  halt(error: CheckpointError): void {
    this.stopped = error;
    this.counting = false;
    this.cancelTimer();
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  private dueAt(): number {
    const debounced = Math.min(
      this.lastChangeAt + this.o.wait,
      (this.firstUnwrittenAt ?? this.lastChangeAt) + this.o.maxWait,
    );
    return Math.max(debounced, this.retryAt);
  }

  private arm(now: number): void {
    const due = this.dueAt();
    this.timerDue = due;
    this.timer = this.o.clock.setTimeout(() => this.onTimer(), Math.max(0, due - now));
  }

  private cancelTimer(): void {
    this.counting = false;
    if (this.timer !== undefined) {
      this.o.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private onTimer(): void {
    this.timer = undefined;
    this.counting = false;
    if (this.inflight !== undefined || !this.pending || this.stopped) return;
    const now = this.o.clock.now();
    // Changes since the timer was armed pushed the deadline: sleep the rest.
    if (this.dueAt() > now && this.dueAt() > this.timerDue) {
      this.arm(now);
      return;
    }
    this.start();
  }

  private start(): void {
    const target = this.changes;
    this.inflight = this.run(target);
  }

  private async run(target: number): Promise<void> {
    let error: CheckpointError | undefined;
    try {
      const info = await this.o.write();
      this.lastInfo = info;
      this.written = Math.max(this.written, target);
      this.failures = 0;
      this.retryAt = 0;
    } catch (caught) {
      error = toCheckpointError(caught, 'io');
      this.failures++;
      this.retryAt = this.o.clock.now() + (this.o.backoff ?? defaultBackoff)(this.failures);
    }
    this.inflight = undefined;
    this.counting = false;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (error) w.reject(error);
      else if (w.target <= this.written) w.resolve(this.lastInfo);
      else still.push(w);
    }
    this.waiters = still;
    if (error) this.o.onError(error, this.failures);
    if (this.stopped) return;
    if (this.waiters.length > 0) this.start();
    else if (this.pending && this.state !== 'closed' && !error) this.arm(this.o.clock.now());
    // After a failure the next change (or flush) schedules the retry, after the backoff.
  }
}

// The kit's one backoff; the scheduler counts attempts from 1.
function defaultBackoff(attempt: number): number {
  return backoffDelay(attempt - 1, { minMs: 100, maxMs: 30_000 });
}
