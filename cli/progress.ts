/** Where a progress line is drawn: a terminal's stderr. */
export interface ProgressStream {
  write(text: string): unknown;
}

const REDRAW_MS = 80;
/** While a single call (listing keys) takes long, the line still moves: its clock is redrawn this often. */
const HEARTBEAT_MS = 250;
const BAR = 24;

/** `5000` → `5,000`. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** `61_000` → `1 min 1 s`; seconds under a minute. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * One progress line on a terminal, redrawn in place. It is drawn from the
 * first moment (`verify: listing keys… 3 s`) and, once the amount of work is
 * known ({@link Progress.count}), shows a bar, the counts, and an estimate of
 * the time left from the rate so far. Without a stream (a pipe, `--json`,
 * `--no-progress`) every call is a no-op.
 *
 * @example
 * ```ts
 * import { Progress } from './progress.js';
 * const progress = new Progress(process.stderr, 'verify', Date.now);
 * progress.count(5000, 'keys');
 * progress.tick();
 * progress.finish();
 * ```
 */
export class Progress {
  private done = 0;
  private total: number | undefined;
  private unit = '';
  private phase = 'listing keys';
  private detail: (() => string) | undefined;
  private readonly startedAt: number;
  private countedAt = 0;
  private drawnAt = Number.NEGATIVE_INFINITY;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private finished = false;

  constructor(
    private readonly stream: ProgressStream | undefined,
    private readonly label: string,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
    if (!stream) return;
    this.draw();
    this.heartbeat = setInterval(() => this.draw(), HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  /** Says what is being done before the work can be counted (default: `listing keys`). */
  step(phase: string): void {
    this.phase = phase;
    this.draw();
  }

  /** The work is known: `total` items of `unit` (and `detail` adds running counts, such as problems found). */
  count(total: number, unit: string, detail?: () => string): void {
    this.total = total;
    this.unit = unit;
    this.detail = detail;
    this.done = 0;
    this.countedAt = this.now();
    this.draw();
  }

  tick(step = 1): void {
    this.done += step;
    if (!this.stream) return;
    const t = this.now();
    if (t - this.drawnAt < REDRAW_MS && this.done < (this.total ?? Infinity)) return;
    this.draw(t);
  }

  /** Clears the line (once) so the result starts on a clean one. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.heartbeat);
    this.stream?.write('\r\x1b[2K');
  }

  private draw(t = this.now()): void {
    if (!this.stream || this.finished) return;
    this.drawnAt = t;
    this.stream.write(`\r\x1b[2K${this.text(t)}`);
  }

  private text(t: number): string {
    const elapsed = formatDuration(t - this.startedAt);
    if (this.total === undefined) return `${this.label}: ${this.phase}… ${elapsed}`;
    const done = Math.min(this.done, this.total);
    const filled = this.total === 0 ? BAR : Math.round((done / this.total) * BAR);
    const parts = [`${formatCount(done)}/${formatCount(this.total)} ${this.unit}`];
    const extra = this.detail?.();
    if (extra) parts.push(extra);
    const spent = t - this.countedAt;
    // An estimate needs some work done and some time spent, or it is noise.
    if (done > 0 && done < this.total && spent >= 500) {
      parts.push(`~${formatDuration((spent / done) * (this.total - done))} left`);
    } else parts.push(elapsed);
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${parts.join(' · ')}`;
  }
}
