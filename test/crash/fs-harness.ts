import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isCheckpointError, taggedJsonCodec } from 'xstate-checkpoint';
import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { loadGeneration } from 'xstate-checkpoint/pipeline';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { buildChild } from './fs-build.js';
import { CRASH_KEY, blobFor, crashMachine } from './fs-machine.js';
import { isPayloadOf } from './fs-payload.js';

/** Options of {@link runCrashLoop}. */
export interface CrashLoopOptions {
  /** How many times a child is killed (each kill is one iteration). */
  readonly iterations: number;
  /** `adapter`: saves through persistActor and fileAdapter. `naive`: truncate-and-write in place, no fsync. */
  readonly mode: 'adapter' | 'naive';
  /** A scratch folder; emptied first. */
  readonly workDir: string;
  /** Children run side by side, each on its own store. @default 2 */
  readonly lanes?: number;
  /** Seed of the kill timing. @default Date.now() */
  readonly seed?: number;
  /**
   * The kill lands this many ms (uniform, inclusive) after the child started saving (`adapter`:
   * once restored; a save through persistActor takes a few fsyncs) or was told to go (`naive`).
   * @default [1, 100] for adapter, [1, 30] for naive
   */
  readonly killAfterMs?: readonly [number, number];
  /** Starts no new iteration after this many ms (the result then has fewer iterations). @default Infinity */
  readonly maxDurationMs?: number;
  /** Called after every iteration. */
  readonly onProgress?: (done: number, result: CrashLoopResult) => void;
}

/** What a crash loop saw. */
export interface CrashLoopResult {
  iterations: number;
  seed: number;
  /** Saves the children reported as done before being killed. */
  acknowledged: number;
  /** Kills after which the newest stored checkpoint did not open (or had the wrong content). */
  invalidRestores: number;
  /** Kills after which the newest valid checkpoint was older than the last acknowledged save. */
  lostAcknowledged: number;
  /** Stored generations (any, not only the newest) that did not open: the fs adapter must have none. */
  invalidGenerations: number;
  /** Temp files found right after a kill (later writers remove them). */
  leftoverTemps: number;
  /** Children that exited on their own instead of being killed. */
  childErrors: number;
  /** The first few failures, described. */
  failures: string[];
  durationMs: number;
}

/** A small deterministic PRNG (mulberry32) so a failing run can be repeated with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ChildRun {
  acks: number[];
  killed: boolean;
  stderr: string;
}

/** A started child that has loaded its modules and waits for "go". */
interface ReadyChild {
  /**
   * Sends "go <startSeq>", kills the child `killAfterMs` later (after it said "saving", when it
   * restores first) and resolves once it is gone.
   */
  run(startSeq: number, killAfterMs: number): Promise<ChildRun>;
  /** Kills a child that will not be used. */
  discard(): void;
}

/** Spawns a child and resolves once it printed "ready" (module loading is not part of an iteration). */
function spawnChild(entry: string, args: string[]): Promise<ReadyChild> {
  return new Promise((resolveReady, rejectReady) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const acks: number[] = [];
    let stderr = '';
    let buffered = '';
    let exited: ((run: ChildRun) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let armKill = (): unknown => undefined;
    const restoresFirst = args[0] === 'saver';
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const ready: ReadyChild = {
      run(startSeq, killAfterMs) {
        const done = new Promise<ChildRun>((resolve) => (exited = resolve));
        child.stdin.write(`go ${startSeq}\n`);
        armKill = () => (timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs));
        if (!restoresFirst) armKill();
        return done;
      },
      discard: () => child.kill('SIGKILL'),
    };
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === 'ready') resolveReady(ready);
        else if (line === 'saving' && timer === undefined) armKill();
        else if (line.startsWith('ack ')) acks.push(Number(line.slice(4)));
      }
    });
    child.on('error', rejectReady);
    // 'close' waits for stdout to drain, so every ack printed before the kill is counted.
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      clearTimeout(watchdog);
      const run = { acks, killed: signal === 'SIGKILL' && timer !== undefined, stderr };
      if (exited) exited(run);
      else rejectReady(new Error(`child exited before it was ready: ${stderr.trim().slice(0, 500)}`));
    });
  });
}

/**
 * The state of every stored generation, loaded the way a restore does
 * (envelope, codec, machine checks) and compared with the exact content of
 * its state; `newest` is the newest generation's state, `newestValid` the
 * newest one that loads.
 */
export async function inspectAdapterStore(store: string) {
  const adapter = fileAdapter({ dir: store });
  const ctx = { logic: crashMachine, machineId: 'crash-test', version: 1 };
  try {
    const list = await adapter.list(CRASH_KEY);
    let newest = 0;
    let newestValid = 0;
    let newestBy = '';
    let invalid = 0;
    let newestInvalid = false;
    for (const [index, generation] of list.entries()) {
      let n: number | undefined;
      let by = '';
      try {
        const loaded = await loadGeneration(adapter, CRASH_KEY, generation.seq, [taggedJsonCodec], undefined, ctx);
        const context = (loaded.snapshot as { context: { n: number; by: string; blob: string } }).context;
        if (context.blob === blobFor(context.n)) ({ n, by } = context);
      } catch (error) {
        if (!isCheckpointError(error)) throw error;
      }
      if (index === 0) newest = n ?? 0;
      if (n === undefined) {
        invalid++;
        if (index === 0) newestInvalid = true;
      } else if (n > newestValid) {
        newestValid = n;
        newestBy = by;
      }
    }
    return { newest, newestValid, newestBy, invalid, newestInvalid };
  } finally {
    await adapter.dispose();
  }
}

async function inspectNaiveStore(store: string) {
  const bytes = await readFile(join(store, 'naive.ckpt')).catch(() => new Uint8Array());
  try {
    const { header, payload } = openEnvelope(bytes);
    const ok = isPayloadOf(payload, header.seq);
    return { newest: header.seq, newestValid: ok ? header.seq : 0, invalid: ok ? 0 : 1, newestInvalid: !ok };
  } catch (error) {
    if (!isCheckpointError(error)) throw error;
    return { newest: 0, newestValid: 0, invalid: 1, newestInvalid: true };
  }
}

async function countTemps(store: string): Promise<number> {
  let count = 0;
  for (const folder of await readdir(store).catch(() => [] as string[])) {
    const names = await readdir(join(store, folder)).catch(() => [] as string[]);
    count += names.filter((n) => n.startsWith('.tmp-')).length;
  }
  return count;
}

/**
 * Kills a saving child process with SIGKILL at random moments, again and
 * again, and after every kill checks the store the way a restore would: the
 * newest checkpoint must open (envelope checksum and exact content) and be at
 * least as new as the last save the child acknowledged.
 *
 * @example
 * ```ts
 * import { runCrashLoop } from './fs-harness.js';
 * const result = await runCrashLoop({ iterations: 100, mode: 'adapter', workDir: '/tmp/xsc-crash' });
 * console.log(result.invalidRestores, result.lostAcknowledged); // 0 0
 * ```
 */
export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const { iterations, mode, workDir, lanes = 2, maxDurationMs = Infinity } = options;
  const killAfterMs = options.killAfterMs ?? (mode === 'adapter' ? [1, 100] : [1, 30]);
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const rand = random(seed);
  const started = performance.now();
  await rm(workDir, { recursive: true, force: true });
  const entry = await buildChild(join(workDir, 'build'));
  const result: CrashLoopResult = {
    iterations: 0,
    seed,
    acknowledged: 0,
    invalidRestores: 0,
    lostAcknowledged: 0,
    invalidGenerations: 0,
    leftoverTemps: 0,
    childErrors: 0,
    failures: [],
    durationMs: 0,
  };
  const fail = (text: string) => {
    if (result.failures.length < 10) result.failures.push(text);
  };
  let next = 0;
  const lane = async (index: number) => {
    const store = join(workDir, `store-${index}`);
    await mkdir(store, { recursive: true });
    let lastAck = 0;
    let startSeq = 1;
    const args = [mode === 'adapter' ? 'saver' : 'naive', store];
    // The next child loads while the current one runs; it touches the store only after "go".
    let upcoming: Promise<ReadyChild> | undefined;
    while (next < iterations && performance.now() - started < maxDurationMs) {
      const iteration = next++;
      const killAt = killAfterMs[0] + Math.floor(rand() * (killAfterMs[1] - killAfterMs[0] + 1));
      const child = await (upcoming ?? spawnChild(entry, args));
      const running = child.run(startSeq, killAt);
      upcoming = spawnChild(entry, args);
      const run = await running;
      const done = ++result.iterations;
      if (!run.killed) {
        result.childErrors++;
        fail(`iteration ${iteration}: child exited on its own: ${run.stderr.trim().slice(0, 500)}`);
      }
      result.acknowledged += run.acks.length;
      lastAck = Math.max(lastAck, ...run.acks);
      if (mode === 'adapter') result.leftoverTemps += await countTemps(store);
      const seen = mode === 'adapter' ? await inspectAdapterStore(store) : await inspectNaiveStore(store);
      result.invalidGenerations += seen.invalid;
      if (seen.newestInvalid) {
        result.invalidRestores++;
        fail(`iteration ${iteration} (kill after ${killAt} ms): newest checkpoint ${seen.newest} does not open`);
      }
      if (seen.newestValid < lastAck) {
        result.lostAcknowledged++;
        fail(
          `iteration ${iteration}: save ${lastAck} was acknowledged, newest valid checkpoint is ${seen.newestValid}`,
        );
      }
      startSeq = Math.max(lastAck, seen.newest) + 1;
      options.onProgress?.(done, result);
    }
    if (upcoming) (await upcoming).discard();
  };
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  result.durationMs = Math.round(performance.now() - started);
  return result;
}
