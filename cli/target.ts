import { resolve } from 'node:path';
import type { CheckpointAdapter } from '../src/adapter.js';
import { fileAdapter } from '../adapters/fs.js';
import { flagValue, UsageError, type ParsedArgs } from './args.js';

/** How to open the store a command works on. */
export interface TargetOptions {
  /** The command writes (PostgreSQL: create missing tables; read-only commands never do). */
  readonly writes: boolean;
}

/**
 * Opens the adapter named on the command line: `--dir <folder>` (fileAdapter)
 * or `--url postgres://...` (postgresAdapter, with `--table` / `--schema`),
 * or `--url redis://...` (redisAdapter, with `--prefix`). The server
 * adapters are loaded only when asked for, so their drivers stay optional.
 *
 * @example
 * ```ts
 * import { parseArgs } from './args.js';
 * import { openTarget } from './target.js';
 * const adapter = await openTarget(parseArgs(['ls', '--dir', './data']), process.cwd(), { writes: false });
 * ```
 */
export async function openTarget(args: ParsedArgs, cwd: string, options: TargetOptions): Promise<CheckpointAdapter> {
  const dir = flagValue(args, 'dir');
  const url = flagValue(args, 'url');
  if ((dir === undefined) === (url === undefined)) {
    throw new UsageError('name the store with exactly one of --dir <folder> or --url postgres://... (or redis://...)');
  }
  if (dir !== undefined) return fileAdapter({ dir: resolve(cwd, dir) });
  const scheme = /^([a-z]+):/i.exec(url!)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const { postgresAdapter } = await import('../adapters/postgres.js');
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
    const { redisAdapter } = await import('../adapters/redis.js');
    const prefix = flagValue(args, 'prefix');
    return redisAdapter({ url: url!, renewLeases: false, ...(prefix === undefined ? {} : { prefix }) });
  }
  throw new UsageError(`--url must start with postgres://, postgresql://, redis:// or rediss://, got "${url!}"`);
}
