import { spawn } from 'node:child_process';

/** A child process of test/crash/fs-child.ts, started and waiting for "go". */
export interface Child {
  /** Every line the child printed so far. */
  readonly lines: string[];
  /** Sends "go <n>". */
  go(n?: number): void;
  /** Resolves with the first line starting with `prefix`. */
  line(prefix: string): Promise<string>;
  /** Resolves when the child has exited (all output read). */
  readonly exited: Promise<void>;
  kill(): void;
  /** Sends a signal (SIGSTOP, SIGCONT...). */
  signal(name: NodeJS.Signals): void;
}

/**
 * Spawns `node <entry> ...args` and resolves once it printed "ready".
 *
 * @example
 * ```ts
 * import { startChild } from './children.js';
 * declare const entry: string;
 * const child = await startChild(entry, ['hold-lock', '/tmp/store', 'k']);
 * child.go();
 * ```
 */
export function startChild(entry: string, args: string[]): Promise<Child> {
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  let stderr = '';
  let buffered = '';
  child.stdin.on('error', () => undefined);
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return new Promise((resolve, reject) => {
    const api: Child = {
      lines,
      go: (n = 0) => child.stdin.write(`go ${n}\n`),
      line: (prefix) =>
        new Promise((resolveLine) => {
          const found = lines.find((l) => l.startsWith(prefix));
          if (found !== undefined) resolveLine(found);
          else waiters.push({ prefix, resolve: resolveLine });
        }),
      exited,
      kill: () => child.kill('SIGKILL'),
      signal: (name) => child.kill(name),
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        if (line === 'ready') resolve(api);
        for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
    child.on('error', reject);
    void exited.then(() => reject(new Error(`child ${args[0]} exited before it was ready: ${stderr.trim()}`)));
  });
}
