import type { CheckpointAdapter } from '../src/adapter.js';
import { isCheckpointError } from '../src/errors.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';
import type { Command } from './command.js';
import { diffCommand } from './diff.js';
import { exportCommand, importCommand } from './dump.js';
import { lsCommand } from './ls.js';
import { Output, type CliIo } from './output.js';
import { pruneCommand } from './prune.js';
import { quarantineCommand } from './quarantine.js';
import { rollbackCommand } from './rollback.js';
import { showCommand } from './show.js';
import { openTarget } from './target.js';
import { verifyCommand } from './verify.js';

/** Exit codes: 0 ok, 1 problems found (or the store failed), 2 the command line is wrong. */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

const commands: readonly Command[] = [
  lsCommand,
  showCommand,
  verifyCommand,
  diffCommand,
  rollbackCommand,
  pruneCommand,
  quarantineCommand,
  exportCommand,
  importCommand,
];

/** The help text. */
export function usage(): string {
  const width = Math.max(...commands.map((c) => c.usage.split(' | ')[0]!.length));
  const lines = commands.flatMap((c) =>
    c.usage.split(' | ').map((u, i) => `  ${u.padEnd(width)}  ${i === 0 ? c.summary : ''}`.trimEnd()),
  );
  return `Usage: xstate-checkpoint <command> [arguments] (--dir <folder> | --url postgres://...) [--json]

Commands:
${lines.join('\n')}

Stores:
  --dir <folder>            a fileAdapter folder
  --url postgres://...      a postgresAdapter database (--table, --schema to pick the tables)
  --url redis://...         a redisAdapter server (--prefix)

Options:
  --json                    one JSON document on stdout instead of text
  --machine <module>        a module exporting \`machine\` (and optionally version, migrations, schema, codec)
  --no-progress             no progress bar on stderr (it only shows on a terminal anyway)
  -h, --help                this text

Exit codes: 0 ok, 1 problems found (or the store failed), 2 usage error.
`;
}

/**
 * Runs one command line and resolves with its exit code. Never throws: usage
 * errors print the usage hint (exit 2), store and data errors print their
 * message (exit 1, and a JSON `error` with `--json`).
 *
 * @example
 * ```ts
 * import { run } from './run.js';
 * const code = await run(['ls', '--dir', './data'], {
 *   stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), now: Date.now,
 * });
 * ```
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    return usageFailure(io, error);
  }
  const [name, ...words] = args.positionals;
  if (args.flags.has('help') || name === 'help') {
    io.stdout.write(usage());
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    return usageFailure(io, new UsageError(name === undefined ? 'no command given' : `unknown command "${name}"`));
  }
  const out = new Output(io, args.flags.has('json'), !args.flags.has('no-progress'));
  let adapter: CheckpointAdapter | undefined;
  try {
    adapter = await openTarget(args, io.cwd, { writes: command.writes });
    return await command.run({ args, words, adapter, out, io });
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, error);
    if (isCheckpointError(error)) {
      out.result({ ok: false, error: { code: error.code, key: error.key, seq: error.seq, message: error.message } });
      out.warn(`xstate-checkpoint: ${error.message}`);
      return EXIT.problems;
    }
    out.warn(`xstate-checkpoint: unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT.problems;
  } finally {
    await adapter?.dispose().catch(() => undefined);
  }
}

function usageFailure(io: CliIo, error: unknown): number {
  io.stderr.write(`xstate-checkpoint: ${(error as Error).message}\nRun \`xstate-checkpoint --help\` for usage.\n`);
  return EXIT.usage;
}
