import { inspect } from 'node:util';
import { Progress } from './progress.js';

/** Where the CLI reads and writes: the process streams, or stand-ins in tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean | undefined };
  /** Read when `import` gets no `--file`. */
  readonly stdin: AsyncIterable<Uint8Array | string>;
  /** Base for relative paths (`--dir`, `--machine`, `--file`). */
  readonly cwd: string;
  readonly now: () => number;
}

/**
 * Writes a command's result: human text by default, one JSON document with
 * `--json`. Progress goes to stderr, only on a terminal, never in JSON mode.
 */
export class Output {
  private live: Progress | undefined;

  constructor(
    readonly io: CliIo,
    readonly json: boolean,
    private readonly progressAllowed: boolean,
  ) {}

  /** A line of human output (ignored in JSON mode), control characters shown escaped ({@link printable}). */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(`${printable(text)}\n`);
  }

  /**
   * A line whose stored parts are already escaped (`util.inspect` output, which may be coloured):
   * written as it is, so its colours survive (ignored in JSON mode).
   */
  inspected(text: string): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** The JSON document of the command (ignored in human mode). */
  result(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A warning or error line on stderr, in both modes. */
  warn(text: string): void {
    this.io.stderr.write(`${printable(text)}\n`);
  }

  /**
   * A progress line on stderr, drawn at once; a no-op unless stderr is a
   * terminal (never in piped output, in JSON mode, or with `--no-progress`).
   */
  progress(label: string): Progress {
    const enabled = this.progressAllowed && !this.json && this.io.stderr.isTTY === true;
    this.live?.finish();
    this.live = new Progress(enabled ? this.io.stderr : undefined, label, this.io.now);
    return this.live;
  }

  /** Ends a progress line a failing command left drawn. */
  close(): void {
    this.live?.finish();
  }
}

/** `1234` → `1.2 KB`. */
// C0 and C1 controls but line feed and tab, and the bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character but line feed and tab, and every
 * bidirectional override, written as a `\u` escape. Keys, machine ids and
 * reasons come from storage: printed raw, an escape sequence in one could
 * clear the terminal, recolour or overwrite a `FAIL` line with `ok`
 * (a carriage return), or reorder what an operator reads.
 *
 * @example
 * ```ts
 * printable('order\u001b[2J'); // 'order\\u001b[2J'
 * ```
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Milliseconds since 1970 as an ISO date, or `unknown` for 0 (a damaged
 * header's stand-in) and for what no Date can hold (a header may say 2^53 - 1,
 * past the year 275760, where `toISOString` throws).
 */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  return ms > 0 && !Number.isNaN(date.getTime()) ? date.toISOString() : 'unknown';
}

/** A value for people: nested, with Maps, Dates, BigInts and so on shown as such. */
export function pretty(value: unknown, colors = false): string {
  return inspect(value, { depth: null, colors, breakLength: 100, maxArrayLength: 50, maxStringLength: 500 });
}

/** Caps of {@link formatStateValue}: a machine's state value is as deep and wide as the machine. */
const STATE_TEXT = { regions: 2000, depth: 64, chars: 1000 } as const;

/**
 * An XState state value as dotted paths: `'idle'`, `{ checkout: 'payment' }`
 * → `checkout.payment`, parallel regions joined with `, `. Stored bytes are
 * hostile: a value that shares objects (2^60 paths through 120 objects) or
 * contains itself is cut with `…` after 2,000 regions or 64 levels, and the
 * text after 1,000 characters.
 *
 * @example
 * ```ts
 * import { formatStateValue } from './output.js';
 * formatStateValue({ checkout: 'payment' }); // 'checkout.payment'
 * ```
 */
export function formatStateValue(value: unknown): string {
  const text = stateText(value, 0, { left: STATE_TEXT.regions });
  return text.length > STATE_TEXT.chars ? `${text.slice(0, STATE_TEXT.chars)}…` : text;
}

function stateText(value: unknown, depth: number, budget: { left: number }): string {
  if (typeof value === 'string')
    return value.length > STATE_TEXT.chars ? `${value.slice(0, STATE_TEXT.chars)}…` : value;
  if (typeof value !== 'object' || value === null) return String(value);
  if (depth >= STATE_TEXT.depth) return '…';
  const parts: string[] = [];
  for (const region in value) {
    if (!Object.hasOwn(value, region)) continue;
    if (--budget.left < 0) {
      parts.push('…');
      break;
    }
    const inner = (value as Record<string, unknown>)[region];
    const rest = stateText(inner, depth + 1, budget);
    const empty = typeof inner === 'object' && inner !== null && isEmpty(inner);
    parts.push(rest === '' || empty ? region : `${region}.${rest}`);
  }
  return parts.length > 1 ? `{ ${parts.join(', ')} }` : (parts[0] ?? '');
}

function isEmpty(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/**
 * A decoded value made JSON-safe for `--json` output: plain data stays as it
 * is; values JSON cannot carry become `{ "$type": ... }` objects (Map, Set,
 * Date, BigInt, undefined, non-finite numbers, RegExp, Error, binary), and a
 * repeated or cyclic object becomes `{ "$ref": "<path>" }`.
 *
 * @example
 * ```ts
 * import { jsonSafe } from './output.js';
 * jsonSafe({ at: new Date(0), n: 1n }); // { at: { $type: 'Date', iso: '1970-01-01T00:00:00.000Z' }, n: { $type: 'BigInt', value: '1' } }
 * ```
 */
export function jsonSafe(value: unknown, path = '$', seen = new Map<object, string>()): unknown {
  switch (typeof value) {
    case 'undefined':
      return { $type: 'undefined' };
    case 'bigint':
      return { $type: 'BigInt', value: value.toString() };
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : { $type: 'Number', value: String(value) };
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return { $type: typeof value };
  }
  if (value === null) return null;
  const earlier = seen.get(value);
  if (earlier !== undefined) return { $ref: earlier };
  seen.set(value, path);
  if (value instanceof Date) return { $type: 'Date', iso: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  if (value instanceof RegExp) return { $type: 'RegExp', source: value.source, flags: value.flags };
  if (value instanceof Map) {
    return {
      $type: 'Map',
      entries: [...value].map(([k, v], i) => [
        jsonSafe(k, `${path}.<key ${i}>`, seen),
        jsonSafe(v, `${path}.<${i}>`, seen),
      ]),
    };
  }
  if (value instanceof Set)
    return { $type: 'Set', values: [...value].map((v, i) => jsonSafe(v, `${path}.<${i}>`, seen)) };
  if (value instanceof Error) return { $type: 'Error', name: value.name, message: value.message };
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    const bytes =
      value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { $type: value.constructor.name, base64: Buffer.from(bytes).toString('base64') };
  }
  if (Array.isArray(value)) return value.map((v, i) => jsonSafe(v, `${path}[${i}]`, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Defined, not assigned: a "__proto__" key of the data is shown as a key.
    Object.defineProperty(out, k, {
      value: jsonSafe(v, `${path}.${k}`, seen),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}
