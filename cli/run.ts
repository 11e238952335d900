import type { CheckpointAdapter } from '../src/adapter.js';
import { isCheckpointError, type CheckpointError } from '../src/errors.js';
import { commandName, GLOBAL_OPTIONS, parseArgs, UsageError, type ParsedArgs } from './args.js';
import type { Command } from './command.js';
import { diffCommand } from './diff.js';
import { exportCommand, importCommand } from './dump.js';
import { failureText } from './failure.js';
import { commandHelp, usage, VERSION } from './help.js';
import { lsCommand } from './ls.js';
import { Output, type CliIo } from './output.js';
import { pruneCommand } from './prune.js';
import { quarantineCommand } from './quarantine.js';
import { rollbackCommand } from './rollback.js';
import { showCommand } from './show.js';
import { studioCommand } from './studio.js';
import { openTarget } from './target.js';
import { verifyCommand } from './verify.js';

/** Exit codes: 0 ok, 1 problems found (or the store failed), 2 the command line is wrong or its store cannot be opened or reached. */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

// Failures of opening the store, not of what is in it: exit as the command line's fault.
const UNREACHABLE: ReadonlySet<string> = new Set(['connection', 'auth', 'driver-missing']);

/** Every command, in the order the overview lists them. */
export const commands: readonly Command[] = [
  lsCommand,
  showCommand,
  verifyCommand,
  diffCommand,
  rollbackCommand,
  pruneCommand,
  quarantineCommand,
  exportCommand,
  importCommand,
  studioCommand,
];

/**
 * Runs one command line and resolves with its exit code. Never throws: usage
 * errors and a store that cannot be opened print the message and a usage
 * hint (exit 2); store and data errors print their message (exit 1, and a
 * JSON `error` with `--json`).
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
  const command = commands.find((c) => c.name === commandName(argv));
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, [...GLOBAL_OPTIONS, 'version', ...(command ? command.options : [])], command?.name);
  } catch (error) {
    return usageFailure(io, error, command);
  }
  if (!command || args.flags.has('version')) return noCommand(args, io);
  if (args.flags.has('help')) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const out = new Output(io, args.flags.has('json'), !args.flags.has('no-progress'));
  let adapter: CheckpointAdapter | undefined;
  try {
    try {
      adapter = await openTarget(args, io.cwd, { writes: command.writes });
    } catch (error) {
      if (!isCheckpointError(error)) throw error;
      report(out, error);
      return EXIT.usage;
    }
    return await command.run({ args, words: args.positionals.slice(1), adapter, out, io });
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, error, command);
    if (isCheckpointError(error)) {
      report(out, error);
      // The store named by --url cannot be reached or logged into, or its driver is missing.
      return UNREACHABLE.has(error.code) ? EXIT.usage : EXIT.problems;
    }
    out.warn(`xstate-checkpoint: unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT.problems;
  } finally {
    out.close();
    await adapter?.dispose().catch(() => undefined);
  }
}

/** `--version`, `--help`, `help [command]`, or a missing or unknown command. */
function noCommand(args: ParsedArgs, io: CliIo): number {
  const [name, topic] = args.positionals;
  if (args.flags.has('version')) {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (args.flags.has('help') || name === 'help') {
    const about = commands.find((c) => c.name === topic);
    io.stdout.write(about ? commandHelp(about) : usage(commands));
    return EXIT.ok;
  }
  return usageFailure(io, new UsageError(name === undefined ? 'no command given' : `unknown command "${name}"`));
}

function report(out: Output, error: CheckpointError): void {
  out.result({ ok: false, error: { code: error.code, key: error.key, seq: error.seq, message: failureText(error) } });
  out.warn(`xstate-checkpoint: ${failureText(error)}`);
}

function usageFailure(io: CliIo, error: unknown, command?: Command): number {
  const help = `xstate-checkpoint ${command ? `${command.name} ` : ''}--help`;
  io.stderr.write(`xstate-checkpoint: ${(error as Error).message}\nRun \`${help}\` for usage.\n`);
  return EXIT.usage;
}
