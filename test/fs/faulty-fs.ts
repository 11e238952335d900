import * as nodeFs from 'node:fs/promises';
import type { FileHandleLike, FileSystemLike } from 'xstate-checkpoint/adapters/fs';

/** When to fail: the `at`-th I/O call after arming (1-based; or several), once or from then on. */
export interface FaultPlan {
  readonly at: number | readonly number[];
  readonly mode: 'once' | 'always';
  /** The errno code of the injected error. @default 'EIO' */
  readonly code?: string;
}

/** A file system that counts every call (handle methods included) and fails the planned ones. */
export interface FaultyFs {
  readonly fs: FileSystemLike;
  /** Starts counting from 0 with a plan (or none: count only). */
  arm(plan?: FaultPlan): void;
  /** Stops failing. */
  disarm(): void;
  /** Calls since the last `arm`, as `method path` lines. */
  readonly calls: string[];
  /** How many injected errors were thrown since the last `arm`. */
  readonly injected: number;
}

/**
 * Wraps a file system (default: the real one) so a test can fail the Nth I/O
 * operation of a save, for every N.
 *
 * @example
 * ```ts
 * import { faultyFs } from './faulty-fs.js';
 * const faulty = faultyFs();
 * faulty.arm({ at: 3, mode: 'once', code: 'ENOSPC' });
 * ```
 */
export function faultyFs(base: FileSystemLike = nodeFs): FaultyFs {
  let plan: FaultPlan | undefined;
  let count = 0;
  let injected = 0;
  const calls: string[] = [];
  const step = (call: string) => {
    count++;
    calls.push(call);
    const at = plan === undefined ? [] : typeof plan.at === 'number' ? [plan.at] : plan.at;
    if (plan && (at.includes(count) || (plan.mode === 'always' && count > Math.min(...at)))) {
      injected++;
      const code = plan.code ?? 'EIO';
      throw Object.assign(new Error(`${code}: injected fault in ${call}`), { code });
    }
  };
  const handle = (inner: FileHandleLike, path: string): FileHandleLike => ({
    writeFile: async (data) => (step(`writeFile ${path}`), inner.writeFile(data)),
    read: async (buffer, offset, length, position) => (
      step(`read ${path}`),
      inner.read(buffer, offset, length, position)
    ),
    sync: async () => (step(`sync ${path}`), inner.sync()),
    close: async () => (step(`close ${path}`), inner.close()),
  });
  const fs: FileSystemLike = {
    open: async (path, flags) => (step(`open ${path} ${flags}`), handle(await base.open(path, flags), path)),
    readFile: async (path) => (step(`readFile ${path}`), base.readFile(path)),
    readdir: async (path) => (step(`readdir ${path}`), base.readdir(path)),
    mkdir: async (path, options) => (step(`mkdir ${path}`), base.mkdir(path, options)),
    link: async (from, to) => (step(`link ${to}`), base.link(from, to)),
    rename: async (from, to) => (step(`rename ${to}`), base.rename(from, to)),
    unlink: async (path) => (step(`unlink ${path}`), base.unlink(path)),
    stat: async (path) => (step(`stat ${path}`), base.stat(path)),
  };
  return {
    fs,
    arm(next) {
      plan = next;
      count = 0;
      injected = 0;
      calls.length = 0;
    },
    disarm() {
      plan = undefined;
    },
    calls,
    get injected() {
      return injected;
    },
  };
}
