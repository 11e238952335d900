import { taggedJsonCodec } from '../src/codec.js';
import { flagValue, seqArg, UsageError } from './args.js';
import type { Command } from './command.js';
import { readGeneration } from './generation.js';
import { loadMachineModule } from './machine.js';
import { jsonSafe } from './output.js';

/** One difference between two generations, at a path like `context.items[2]`. */
export interface Change {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly from?: unknown;
  readonly to?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (path: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`;

/**
 * Every difference between two JSON-safe values ({@link jsonSafe} output):
 * objects key by key, arrays index by index, anything else as a whole.
 *
 * @example
 * ```ts
 * import { changes } from './diff.js';
 * changes({ count: 1, items: ['a'] }, { count: 2, items: ['a', 'b'] });
 * // [{ path: 'count', kind: 'changed', from: 1, to: 2 }, { path: 'items[1]', kind: 'added', to: 'b' }]
 * ```
 */
export function changes(from: unknown, to: unknown, path = '', out: Change[] = []): Change[] {
  if (isRecord(from) && isRecord(to) && from['$type'] === undefined && to['$type'] === undefined) {
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
      const p = child(path, key);
      if (!(key in to)) out.push({ path: p, kind: 'removed', from: from[key] });
      else if (!(key in from)) out.push({ path: p, kind: 'added', to: to[key] });
      else changes(from[key], to[key], p, out);
    }
    return out;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    for (let i = 0; i < Math.max(from.length, to.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= to.length) out.push({ path: p, kind: 'removed', from: from[i] });
      else if (i >= from.length) out.push({ path: p, kind: 'added', to: to[i] });
      else changes(from[i], to[i], p, out);
    }
    return out;
  }
  if (JSON.stringify(from) !== JSON.stringify(to)) out.push({ path: path || '(root)', kind: 'changed', from, to });
  return out;
}

const short = (v: unknown) => {
  const text = JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/** `diff <key> <a> <b>`: what changed between two generations (header, state, context, children, timers). */
export const diffCommand: Command = {
  name: 'diff',
  usage: 'diff <key> <a> <b> [--machine module]',
  summary: 'show what changed between generations a and b',
  writes: false,
  async run({ adapter, words, args, out, io }) {
    const key = words[0];
    if (key === undefined) throw new UsageError('diff needs a key and two generations');
    const a = seqArg(words[1], 'generation a');
    const b = seqArg(words[2], 'generation b');
    const machinePath = flagValue(args, 'machine');
    const codecs =
      machinePath === undefined ? [taggedJsonCodec] : (await loadMachineModule(machinePath, io.cwd)).codecs;
    const [left, right] = [
      await readGeneration(adapter, key, a, codecs),
      await readGeneration(adapter, key, b, codecs),
    ];
    const view = (d: typeof left) => ({
      header: { machine: d.header.machine, version: d.header.version, epoch: d.header.epoch, codec: d.header.codec },
      snapshot: jsonSafe(d.data.snapshot),
      timers: jsonSafe(d.data.timers),
    });
    const found = changes(view(left), view(right));
    out.result({ key, from: a, to: b, equal: found.length === 0, changes: found });
    out.line(
      `${key} #${a} → #${b}: ${found.length === 0 ? 'no differences' : `${found.length} difference${found.length === 1 ? '' : 's'}`}`,
    );
    for (const c of found) {
      // Paths are shown without the `snapshot.` prefix: that is where nearly everything is.
      const path = c.path.replace(/^snapshot\./, '');
      if (c.kind === 'added') out.line(`+ ${path}: ${short(c.to)}`);
      else if (c.kind === 'removed') out.line(`- ${path}: ${short(c.from)}`);
      else out.line(`~ ${path}: ${short(c.from)} → ${short(c.to)}`);
    }
    return 0;
  },
};
