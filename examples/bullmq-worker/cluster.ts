// Worker processes for the demo and the tests: spawn one, read its JSON lines, signal it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from './worker.js';

/** One JSON line of a worker (see worker.ts), with the worker's name added. */
export interface WorkerLine {
  readonly type: string;
  readonly worker: number;
  readonly name: string;
  readonly at: number;
  readonly job?: string;
  readonly [field: string]: unknown;
}

/** A running worker process. */
export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves once the worker's BullMQ Worker is connected and taking jobs. */
  readonly ready: Promise<void>;
  /** Resolves when the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  readonly child: ChildProcess;
}

const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * Spawns `worker.ts` with `config`; `onLine` gets each line it prints.
 *
 * @example
 * ```ts
 * import { startWorker } from './cluster.js';
 * const w = startWorker('W1', config, (line) => console.log(line));
 * await w.ready;
 * w.signal('SIGTERM');
 * await w.exited;
 * ```
 */
export function startWorker(name: string, config: WorkerConfig, onLine: (line: WorkerLine) => void): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', workerFile, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: WorkerLine;
    try {
      line = { ...(JSON.parse(text) as Record<string, unknown>), name } as WorkerLine;
    } catch {
      return;
    }
    if (line.type === 'ready') markReady();
    onLine(line);
  });
  return {
    name,
    pid: child.pid ?? 0,
    ready: Promise.race([
      ready,
      exited.then(() => Promise.reject(new Error(`worker ${name} exited before it was ready`))),
    ]),
    exited,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    child,
  };
}
