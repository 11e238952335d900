import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What one CLI run printed and returned. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Bundles `cli/main.ts` the way the package build does (Node built-ins
 * and peers external) into a private folder under the repository, so each
 * run is a plain `node cli.js` (about 0.1 s) instead of a TypeScript loader
 * start. The package test runs the real `npm run build` output once more.
 *
 * @example
 * ```ts
 * import { buildCli } from './harness.js';
 * const cli = await buildCli();
 * const { code } = await cli.run(['--help']);
 * await cli.remove();
 * ```
 */
export async function buildCli() {
  const dir = join(repoRoot, 'test/.tmp', `cli-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      outDir: dir,
      emptyOutDir: false,
      minify: false,
      target: 'es2022',
      lib: { entry: { cli: join(repoRoot, 'cli/main.ts') }, formats: ['es'] },
      rollupOptions: { external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') },
    },
  });
  const entry = join(dir, 'cli.js');
  return {
    dir,
    entry,
    /** Runs the CLI with `args`, optionally feeding `input` to stdin. */
    run: (args: readonly string[], options: { input?: string; cwd?: string } = {}) => runNode(entry, args, options),
    /** Writes a file into the build folder (machine modules import `xstate` from the repository from there). */
    file: async (name: string, content: string) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs `node <entry> ...args` and collects its output. */
export function runNode(
  entry: string,
  args: readonly string[],
  options: { input?: string; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: options.cwd ?? repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A machine module for `--machine`, as plain JavaScript (the built CLI imports it without a loader). */
export function machineModule(options: { version?: number; migrations?: string; schema?: string } = {}): string {
  return `import { assign, createMachine } from 'xstate';
export const machine = createMachine({
  id: 'counter',
  initial: 'idle',
  context: { count: 0, at: new Date(0), tags: new Set(['a']) },
  states: { idle: { on: { GO: 'busy' } }, busy: { after: { 60000: 'idle' } } },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
${options.version === undefined ? '' : `export const version = ${options.version};`}
${options.migrations === undefined ? '' : `export const migrations = ${options.migrations};`}
${options.schema === undefined ? '' : `export const schema = ${options.schema};`}
`;
}
