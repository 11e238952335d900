import pkg from '../package.json' with { type: 'json' };
import { OPTIONS, type FlagName, type OptionSpec } from './args.js';
import type { Command } from './command.js';

/** The package's version, built into the bin. */
export const VERSION: string = pkg.version;

const optionLines = (names: readonly FlagName[]) => {
  const label = (name: FlagName) => {
    const spec: OptionSpec = OPTIONS[name];
    return `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`;
  };
  const width = Math.max(...names.map((n) => label(n).length));
  return names.map((n) => `  ${label(n).padEnd(width)}  ${OPTIONS[n].help}`).join('\n');
};

const STORE = `Stores (exactly one):
${optionLines(['dir', 'url'])}
  PostgreSQL: --table, --schema pick the tables; Redis: --prefix picks the keys.`;

const EXITS = 'Exit codes: 0 ok, 1 problems found (or the store failed), 2 usage error or the store cannot be opened.';

/**
 * The overview `xstate-checkpoint --help` prints: every command in one line.
 *
 * @example
 * ```ts
 * import { usage } from './help.js';
 * import { commands } from './run.js';
 * process.stdout.write(usage(commands));
 * ```
 */
export function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.usage.split(' | ')[0]!.length));
  const lines = commands.flatMap((c) =>
    c.usage.split(' | ').map((u, i) => `  ${u.padEnd(width)}  ${i === 0 ? c.summary : ''}`.trimEnd()),
  );
  return `Usage: xstate-checkpoint <command> [arguments] (--dir <folder> | --url <url>) [--json]

Commands:
${lines.join('\n')}

${STORE}

Options:
${optionLines(['json', 'no-progress', 'help', 'version'])}

\`xstate-checkpoint <command> --help\` describes one command and its options.
${EXITS}
`;
}

/**
 * What `xstate-checkpoint <command> --help` prints: its usage, what it does,
 * its own options, then the store and output options.
 *
 * @example
 * ```ts
 * import { commandHelp } from './help.js';
 * import { showCommand } from './show.js';
 * process.stdout.write(commandHelp(showCommand));
 * ```
 */
export function commandHelp(command: Command): string {
  const forms = command.usage.split(' | ').map((u) => `xstate-checkpoint ${u}`);
  const own = command.options.length > 0 ? `\nOptions:\n${optionLines(command.options)}\n` : '';
  return `Usage: ${forms.join('\n       ')}

${command.description}
${own}
${STORE}

Output:
${optionLines(['json', 'no-progress', 'help'])}

${EXITS}
`;
}
