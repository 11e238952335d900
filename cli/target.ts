import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CheckpointAdapter } from '../src/adapter.js';
import { CheckpointError } from '../src/errors.js';
import { fileAdapter } from '../adapters/fs/index.js';
import { flagValue, UsageError, type ParsedArgs } from './args.js';

/** How to open the store a command works on. */
export interface TargetOptions {
  /** The command writes (PostgreSQL: create missing tables; read-only commands never do). */
  readonly writes: boolean;
}

/**
 * Opens the adapter named on the command line: `--dir <folder>` (fileAdapter)
 * or `--url postgres://...` (postgresAdapter, with `--table` / `--schema`),
 * or `--url redis://...` (redisAdapter, with `--prefix`). A `--dir` that is
 * not an existing folder throws `invalid-option` (a typo would otherwise list
 * an empty store, and `import` would fill a new folder nobody asked for). The server
 * adapters are loaded only when asked for, so their drivers stay optional.
 *
 * @example
 * ```ts
 * import { parseArgs } from './args.js';
 * import { openTarget } from './target.js';
 * const adapter = await openTarget(parseArgs(['ls', '--dir', './data'], ['dir']), process.cwd(), { writes: false });
 * ```
 */
export async function openTarget(args: ParsedArgs, cwd: string, options: TargetOptions): Promise<CheckpointAdapter> {
  const dir = flagValue(args, 'dir');
  const url = flagValue(args, 'url');
  if ((dir === undefined) === (url === undefined)) {
    throw new UsageError('name the store with exactly one of --dir <folder> or --url postgres://... (or redis://...)');
  }
  if (dir !== undefined) return fileAdapter({ dir: await existingFolder(dir, cwd) });
  const scheme = /^([a-z]+):/i.exec(url!)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { postgresAdapter } = await import('../adapters/postgres/index.js');
    const table = flagValue(args, 'table');
    const schema = flagValue(args, 'schema');
    return postgresAdapter({
      connectionString: url!,
      createTable: options.writes,
      renewLeases: false,
      ...(table === undefined ? {} : { table }),
      ...(schema === undefined ? {} : { schema }),
    });
  }
  if (scheme === 'redis' || scheme === 'rediss') {
    const { redisAdapter } = await import('../adapters/redis/index.js');
    const prefix = flagValue(args, 'prefix');
    return redisAdapter({
      url: url!,
      renewLeases: false,
      ...(prefix === undefined ? {} : { prefix }),
      // The durability warning is about writes; a command that only reads says nothing of it.
      ...(options.writes ? {} : { onWarning: () => undefined }),
    });
  }
  throw new UsageError(`--url must start with postgres://, postgresql://, redis:// or rediss://, got "${url!}"`);
}

/** The absolute path of `--dir`, when it names a folder that exists. */
async function existingFolder(dir: string, cwd: string): Promise<string> {
  const path = resolve(cwd, dir);
  const found = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw new CheckpointError(error.code === 'EACCES' || error.code === 'EPERM' ? 'permission' : 'io', {
      adapter: 'fs',
      cause: error,
      detail: `cannot open --dir ${dir} (${path})`,
    });
  });
  if (found?.isDirectory()) return path;
  throw new CheckpointError('invalid-option', {
    adapter: 'fs',
    detail: `--dir ${dir}: ${found ? 'is a file, not a folder' : 'no such folder'} (${path}); the CLI never creates one, so check the path (or mkdir it to import into a new store)`,
  });
}
