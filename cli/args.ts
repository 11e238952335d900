import { parseArgs as parseNodeArgs } from 'node:util';

/** A command line the CLI could not make sense of: reported with the usage hint and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One option: whether it takes a value (and how the help names it), and its help line. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** The value's name in help texts (`<folder>`); string options only. */
  readonly value?: string;
  readonly short?: string;
  readonly help: string;
}

/** Every option the CLI knows; each command accepts {@link GLOBAL_OPTIONS} and its own. */
export const OPTIONS = {
  dir: { type: 'string', value: '<folder>', help: 'a fileAdapter folder (it must exist)' },
  url: { type: 'string', value: '<url>', help: 'postgres://... (postgresAdapter) or redis://... (redisAdapter)' },
  table: { type: 'string', value: '<name>', help: 'PostgreSQL: the generations table (default: the adapter’s)' },
  schema: { type: 'string', value: '<name>', help: 'PostgreSQL: the schema of the tables' },
  prefix: { type: 'string', value: '<prefix>', help: 'Redis: the key prefix' },
  machine: {
    type: 'string',
    value: '<module>',
    help: 'a module exporting `machine` (and optionally version, migrations, schema, codec)',
  },
  gen: { type: 'string', value: '<n>', help: 'the generation to show (default: the newest)' },
  keep: { type: 'string', value: '<n>', help: 'how many of the newest generations to keep (n >= 1)' },
  'keep-hourly': {
    type: 'string',
    value: '<n>',
    help: 'also keep the newest generation of each of the n latest hours',
  },
  'keep-daily': { type: 'string', value: '<n>', help: 'also keep the newest generation of each of the n latest days' },
  'keep-weekly': {
    type: 'string',
    value: '<n>',
    help: 'also keep the newest generation of each of the n latest weeks',
  },
  'max-age': { type: 'string', value: '<age>', help: '--keep keeps none older than this (36h, 7d, 2w)' },
  'utc-offset': {
    type: 'string',
    value: '<minutes>',
    help: 'hours, days and weeks start at this UTC offset (default 0)',
  },
  out: { type: 'string', value: '<file>', help: 'write the dump to this file (default: stdout)' },
  file: { type: 'string', value: '<file>', help: 'read the dump from this file (default: stdin)' },
  'dry-run': { type: 'boolean', help: 'report what would change, change nothing' },
  write: { type: 'boolean', help: 'studio: allow rollback and quarantine restore from the page' },
  port: { type: 'string', value: '<n>', help: 'studio: the port on 127.0.0.1 (default: a free one)' },
  json: { type: 'boolean', help: 'one JSON document on stdout instead of text' },
  'no-progress': { type: 'boolean', help: 'no progress line on stderr (it only shows on a terminal anyway)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
  version: { type: 'boolean', short: 'v', help: 'the version of xstate-checkpoint' },
} as const satisfies Record<string, OptionSpec>;

/** An option name. */
export type FlagName = keyof typeof OPTIONS;

/** Options every command takes: where the store is, and how to print. */
export const GLOBAL_OPTIONS: readonly FlagName[] = [
  'dir',
  'url',
  'table',
  'schema',
  'prefix',
  'json',
  'no-progress',
  'help',
];

/** The parsed command line: the words in order, and the options given. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: ReadonlyMap<FlagName, string | true>;
}

const nodeOptions = (names: readonly FlagName[]) =>
  Object.fromEntries(
    names.map((name) => {
      const spec: OptionSpec = OPTIONS[name];
      return [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}) }];
    }),
  );

/**
 * Splits `argv` with `node:util` `parseArgs`, accepting only the options in
 * `allowed`: `--flag value`, `--flag=value`, switches, `-h`, and `--` to end
 * options. Anything else throws {@link UsageError}; an option another command
 * takes is named as such.
 *
 * @example
 * ```ts
 * import { parseArgs } from './args.js';
 * parseArgs(['show', 'order-1', '--gen', '3', '--dir', './data'], ['gen', 'dir']).flags.get('gen'); // '3'
 * ```
 */
export function parseArgs(argv: readonly string[], allowed: readonly FlagName[], command?: string): ParsedArgs {
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: [...argv], options: nodeOptions(allowed), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(usageMessage(error, allowed, command));
  }
  const flags = new Map<FlagName, string | true>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value !== undefined && value !== false) flags.set(name as FlagName, value as string | true);
  }
  return { positionals: parsed.positionals, flags };
}

/** The first word of `argv` that is not an option or an option's value: the command's name. */
export function commandName(argv: readonly string[]): string | undefined {
  const { positionals } = parseNodeArgs({
    args: [...argv],
    options: nodeOptions(Object.keys(OPTIONS) as FlagName[]),
    allowPositionals: true,
    strict: false,
  });
  return positionals[0];
}

/** Node's message, shortened where it is generic, and naming an option that belongs to another command. */
function usageMessage(error: unknown, allowed: readonly FlagName[], command: string | undefined): string {
  const { code, message } = error as { code?: string; message: string };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = /'(-{1,2}[^']*)'/.exec(message)?.[1] ?? message;
    const bare = name.replace(/^-+/, '');
    const known = Object.hasOwn(OPTIONS, bare) && !allowed.includes(bare as FlagName);
    if (!known) return `unknown option ${name}`;
    return command ? `${name} is not an option of ${command}` : `${name} needs a command before it`;
  }
  return message;
}

/** The value of a flag that takes one, or `undefined`. */
export function flagValue(args: ParsedArgs, name: FlagName): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** A flag's value as a non-negative integer (`min` and up), or `undefined` when absent. */
export function intFlag(args: ParsedArgs, name: FlagName, min: number): number | undefined {
  const raw = flagValue(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, got "${raw}"`);
  }
  return n;
}

/** A positional word as a generation number. */
export function seqArg(raw: string | undefined, what: string): number {
  if (raw === undefined) throw new UsageError(`missing ${what}`);
  const n = Number(raw.startsWith('#') ? raw.slice(1) : raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${what} must be a generation number, got "${raw}"`);
  return n;
}
