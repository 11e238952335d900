import { inspect } from 'node:util';
import { taggedJsonCodec } from '../src/codec/index.js';
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

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const isMapKey = (k: unknown) => typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean';
const child = (path: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`;
const same = (a: unknown, b: unknown) => JSON.stringify(jsonSafe(a)) === JSON.stringify(jsonSafe(b));

/**
 * Every difference between two decoded values: plain objects key by key,
 * arrays index by index, Maps with string, number or boolean keys entry by
 * entry (`prices.get("a")`), anything else (Dates, Sets, BigInts, ...) as a
 * whole, compared by value. Objects shared between paths are compared once,
 * at the first path (so a cycle or a value of shared objects stays cheap).
 *
 * @example
 * ```ts
 * import { changes } from './diff.js';
 * changes({ count: 1, items: ['a'] }, { count: 2, items: ['a', 'b'] });
 * // [{ path: 'count', kind: 'changed', from: 1, to: 2 }, { path: 'items[1]', kind: 'added', to: 'b' }]
 * ```
 */
export function changes(
  from: unknown,
  to: unknown,
  path = '',
  out: Change[] = [],
  compared = new WeakMap<object, WeakSet<object>>(),
): Change[] {
  // Stored values may share objects or contain themselves: each pair of objects is compared
  // once (its differences listed at the first path it is reached by), so a value with 2^60 paths
  // through 120 shared objects costs 120 comparisons, and a cycle ends.
  if (typeof from === 'object' && from !== null && typeof to === 'object' && to !== null) {
    const seen = compared.get(from) ?? compared.set(from, new WeakSet()).get(from)!;
    if (seen.has(to)) return out;
    seen.add(to);
  }
  if (isPlainObject(from) && isPlainObject(to)) {
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
      const p = child(path, key);
      if (!Object.hasOwn(to, key)) out.push({ path: p, kind: 'removed', from: from[key] });
      else if (!Object.hasOwn(from, key)) out.push({ path: p, kind: 'added', to: to[key] });
      else changes(from[key], to[key], p, out, compared);
    }
    return out;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    for (let i = 0; i < Math.max(from.length, to.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= to.length) out.push({ path: p, kind: 'removed', from: from[i] });
      else if (i >= from.length) out.push({ path: p, kind: 'added', to: to[i] });
      else changes(from[i], to[i], p, out, compared);
    }
    return out;
  }
  if (from instanceof Map && to instanceof Map && [...from.keys(), ...to.keys()].every(isMapKey)) {
    for (const key of new Set([...from.keys(), ...to.keys()])) {
      const p = `${path}.get(${JSON.stringify(key)})`;
      if (!to.has(key)) out.push({ path: p, kind: 'removed', from: from.get(key) });
      else if (!from.has(key)) out.push({ path: p, kind: 'added', to: to.get(key) });
      else changes(from.get(key), to.get(key), p, out, compared);
    }
    return out;
  }
  if (!same(from, to)) out.push({ path: path || '(root)', kind: 'changed', from, to });
  return out;
}

/**
 * A value on one line as a person reads it: strings quoted, Dates as ISO
 * time, `Map(1) { 'a' => 1 }`, `Set(2) { 1, 2 }`, `12n`; cut at 120 characters.
 *
 * @example
 * ```ts
 * import { readable } from './diff.js';
 * readable(new Date(0)); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function readable(value: unknown): string {
  // customInspect off: decoded data never carries methods, and stored bytes must not pick what is printed.
  const text = inspect(value, {
    depth: 4,
    compact: true,
    breakLength: Infinity,
    maxArrayLength: 20,
    maxStringLength: 100,
    customInspect: false,
  });
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** `diff <key> <a> <b>`: what changed between two generations (header, state, context, children, timers). */
export const diffCommand: Command = {
  name: 'diff',
  usage: 'diff <key> <a> <b> [--machine module]',
  summary: 'show what changed between generations a and b',
  description:
    'Shows what changed between generations a and b of a key: header fields, state value, context,\nchildren and timers, one line per path (+ added, - removed, ~ changed). Read only.',
  options: ['machine'],
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
      snapshot: d.data.snapshot,
      timers: d.data.timers,
    });
    const found = changes(view(left), view(right));
    const safe = (c: Change) => ({
      ...c,
      ...('from' in c ? { from: jsonSafe(c.from) } : {}),
      ...('to' in c ? { to: jsonSafe(c.to) } : {}),
    });
    out.result({ key, from: a, to: b, equal: found.length === 0, changes: found.map(safe) });
    out.line(
      `${key} #${a} → #${b}: ${found.length === 0 ? 'no differences' : `${found.length} difference${found.length === 1 ? '' : 's'}`}`,
    );
    for (const c of found) {
      // Paths are shown without the `snapshot.` prefix: that is where nearly everything is.
      const path = c.path.replace(/^snapshot\./, '');
      if (c.kind === 'added') out.line(`+ ${path}: ${readable(c.to)}`);
      else if (c.kind === 'removed') out.line(`- ${path}: ${readable(c.from)}`);
      else out.line(`~ ${path}: ${readable(c.from)} → ${readable(c.to)}`);
    }
    return 0;
  },
};
