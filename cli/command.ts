import type { CheckpointAdapter } from '../src/adapter.js';
import type { FlagName, ParsedArgs } from './args.js';
import type { CliIo, Output } from './output.js';

/** What a command runs with. */
export interface CommandContext {
  readonly args: ParsedArgs;
  /** The words after the command's name. */
  readonly words: readonly string[];
  readonly adapter: CheckpointAdapter;
  readonly out: Output;
  readonly io: CliIo;
}

/** One CLI command. Resolves with the exit code: 0 ok, 1 problems found. */
export interface Command {
  readonly name: string;
  /** One line: the command's arguments, for the usage text (` | ` separates forms). */
  readonly usage: string;
  readonly summary: string;
  /** What `<command> --help` prints under the usage line: what it does, what it never does. */
  readonly description: string;
  /** The options it takes besides the global ones (store, `--json`, `--no-progress`, `--help`). */
  readonly options: readonly FlagName[];
  /** The command changes the store (PostgreSQL tables are created only for these). */
  readonly writes: boolean;
  run(context: CommandContext): Promise<number>;
}
