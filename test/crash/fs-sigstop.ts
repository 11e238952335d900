import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { startChild, type Child } from '../fs/children.js';
import { buildChild } from './fs-build.js';
import { inspectAdapterStore } from './fs-harness.js';
import { CRASH_KEY } from './fs-machine.js';

/** Options of {@link runPauseLoop}. */
export interface PauseLoopOptions {
  readonly runs: number;
  /** A scratch folder; emptied first. */
  readonly workDir: string;
  /** Seed of the pause timing. @default Date.now() */
  readonly seed?: number;
  /** Lease of the writer that gets paused; the next one takes over once it expired. @default 200 */
  readonly ttlMs?: number;
  /** How many saves the new holder must acknowledge after the old writer resumed. @default 5 */
  readonly savesAfterResume?: number;
  readonly onProgress?: (done: number, result: PauseLoopResult) => void;
}

/** What a pause loop saw. */
export interface PauseLoopResult {
  runs: number;
  seed: number;
  /** Saves of the paused writer acknowledged although the new holder never restored them: must be 0. */
  staleAcknowledged: number;
  /** Runs in which the new holder got a save error or stopped saving: must be 0. */
  ownersHalted: number;
  /** Runs after which the newest stored state was older than the holder's last acknowledged save: must be 0. */
  acknowledgedLosses: number;
  /** Runs in which the resumed writer's flush ended `fenced`. */
  pausedWriterFenced: number;
  /** Runs that left a fenced writer's generation in the store (published after the hand-over). */
  staleGenerationsPublished: number;
  /** The newest stored generation failed to load. */
  invalidRestores: number;
  failures: string[];
  durationMs: number;
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const acksOf = (child: Child) => child.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, sleep(ms).then(() => undefined)]);

/**
 * The fencing loop with real SIGSTOP: writer A holds the key's lock with a
 * short lease and saves through `persistActor`; it is stopped at a random
 * moment mid-save, B takes the lock once the lease expired and saves, A is
 * continued at a random moment while B saves, then both are killed and the
 * store is checked the way a restore reads it.
 *
 * @example
 * ```ts
 * import { runPauseLoop } from './fs-sigstop.js';
 * const result = await runPauseLoop({ runs: 5, workDir: '/tmp/xsc-sigstop' });
 * console.log(result.staleAcknowledged, result.ownersHalted, result.acknowledgedLosses); // 0 0 0
 * ```
 */
export async function runPauseLoop(options: PauseLoopOptions): Promise<PauseLoopResult> {
  const { runs, workDir, ttlMs = 200, savesAfterResume = 5 } = options;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const rand = random(seed);
  const started = performance.now();
  await rm(workDir, { recursive: true, force: true });
  const entry = await buildChild(join(workDir, 'build'));
  const result: PauseLoopResult = {
    runs: 0,
    seed,
    staleAcknowledged: 0,
    ownersHalted: 0,
    acknowledgedLosses: 0,
    pausedWriterFenced: 0,
    staleGenerationsPublished: 0,
    invalidRestores: 0,
    failures: [],
    durationMs: 0,
  };
  const fail = (text: string) => {
    if (result.failures.length < 10) result.failures.push(text);
  };
  for (let run = 0; run < runs; run++) {
    const store = join(workDir, `store-${run}`);
    await mkdir(store, { recursive: true });
    const a = await startChild(entry, ['lock-saver', store, 'a', String(ttlMs)]);
    const b = await startChild(entry, ['lock-saver', store, 'b', '600000']);
    try {
      a.go();
      await a.line('ack ');
      await sleep(Math.floor(rand() * 30));
      a.signal('SIGSTOP');
      // B takes the lock once A's lease ran out (A is stopped, not dead: only the lease frees it).
      await sleep(ttlMs + 20);
      b.go();
      const restoredLine = await within(b.line('restored '), 20_000);
      if (restoredLine === undefined) throw new Error('the new holder did not restore within 20 s');
      const [, restoredN, restoredBy] = restoredLine.split(' ');
      await sleep(Math.floor(rand() * 15));
      const acksBefore = acksOf(b).length;
      a.signal('SIGCONT');
      // B must keep saving after A resumed; A must have nothing acknowledged it should not have.
      const deadline = performance.now() + 10_000;
      while (acksOf(b).length < acksBefore + savesAfterResume && performance.now() < deadline) {
        if (b.lines.some((l) => l.startsWith('error '))) break;
        await sleep(5);
      }
      await within(a.line('error '), 500);
      a.kill();
      b.kill();
      await Promise.all([a.exited, b.exited]);

      const fromA = restoredBy === 'a' ? Number(restoredN) : 0;
      const stale = acksOf(a).filter((n) => n > fromA);
      result.staleAcknowledged += stale.length;
      if (stale.length > 0) fail(`run ${run}: A's saves ${stale.join(', ')} acknowledged, B restored ${restoredN}`);
      const bErrors = b.lines.filter((l) => l.startsWith('error '));
      const bAcks = acksOf(b);
      if (bErrors.length > 0 || bAcks.length < acksBefore + savesAfterResume) {
        result.ownersHalted++;
        fail(
          `run ${run}: the holder was halted (${bErrors.join(', ') || `${bAcks.length - acksBefore} saves after resume`})`,
        );
      }
      if (a.lines.includes('error fenced')) result.pausedWriterFenced++;
      const seen = await inspectAdapterStore(store);
      if (seen.newestInvalid) {
        result.invalidRestores++;
        fail(`run ${run}: the newest generation does not load`);
      }
      const lastB = Math.max(0, ...bAcks);
      if (seen.newestValid < lastB || (lastB > 0 && seen.newestBy !== 'b')) {
        result.acknowledgedLosses++;
        fail(`run ${run}: B acknowledged ${lastB}, a restore finds ${seen.newestValid} by ${seen.newestBy}`);
      }
      result.staleGenerationsPublished += await staleInStore(store);
    } finally {
      a.kill();
      b.kill();
    }
    result.runs++;
    options.onProgress?.(result.runs, result);
    await rm(store, { recursive: true, force: true });
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

/** Generations a fenced writer published after the hand-over: set aside in quarantine, or on disk but not listed. */
async function staleInStore(store: string): Promise<number> {
  const adapter = fileAdapter({ dir: store });
  try {
    const fenced = (await adapter.listQuarantine(CRASH_KEY)).filter((q) => q.reason.startsWith('fenced')).length;
    const files = (await readdir(join(store, keyFolderName(CRASH_KEY)))).filter((n) => n.endsWith('.gen')).length;
    const listed = (await adapter.list(CRASH_KEY)).length;
    return fenced + files - listed;
  } finally {
    await adapter.dispose();
  }
}
