/** A command line the CLI could not make sense of: reported with the usage text and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Flags the CLI knows, and whether each takes a value. */
const FLAGS = {
  dir: 'value',
  url: 'value',
  table: 'value',
  schema: 'value',
  prefix: 'value',
  machine: 'value',
  gen: 'value',
  keep: 'value',
  out: 'value',
  file: 'value',
  json: 'switch',
  'dry-run': 'switch',
  'no-progress': 'switch',
  help: 'switch',
} as const;

/** A flag name. */
export type FlagName = keyof typeof FLAGS;

/** The parsed command line: the words in order, and the flags. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: ReadonlyMap<FlagName, string | true>;
}

/**
 * Splits `argv` into words and flags: `--flag value`, `--flag=value`,
 * switches without a value, `-h` for `--help`, and `--` to end flags.
 * Unknown flags and missing values throw {@link UsageError}.
 *
 * @example
 * ```ts
 * import { parseArgs } from './args.js';
 * parseArgs(['show', 'order-1', '--gen', '3', '--dir', './data']).flags.get('gen'); // '3'
 * ```
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<FlagName, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)) as FlagName;
    const kind = (FLAGS as Record<string, string | undefined>)[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    if (kind === 'switch') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    flags.set(name, value);
  }
  return { positionals, flags };
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
