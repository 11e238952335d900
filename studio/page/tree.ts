import type { TreeNode } from './api.js';
import { h, type Child } from './dom.js';

/** Which paths to mark while drawing (a diff's changed paths) and how deep to open by default. */
export interface TreeMarks {
  readonly changed?: ReadonlySet<string>;
  /** Levels open at first. @default 2 */
  readonly open?: number;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** A child's path, spelled as the CLI's `diff` spells it (`a.b`, `a["x y"]`, `a[2]`, `m.get("k")`). */
export function childPath(path: string, parent: TreeNode, key: TreeNode | string): string {
  if (parent.t === 'array' || parent.t === 'set') return `${path}[${key as string}]`;
  if (parent.t === 'map') {
    const k = key as TreeNode;
    const raw = k.t === 'string' ? JSON.stringify(k.v) : k.t === 'number' ? k.v : k.t === 'boolean' ? String(k.v) : '?';
    return `${path}.get(${raw})`;
  }
  const name = key as string;
  return IDENT.test(name) ? (path === '' ? name : `${path}.${name}`) : `${path}[${JSON.stringify(name)}]`;
}

/** One value on one line: `"text"`, `42`, `Date 2026-…`, `Map(3)`. */
export function leaf(node: TreeNode): HTMLElement {
  switch (node.t) {
    case 'string':
      return h(
        'span',
        { class: 'v-string' },
        JSON.stringify(node.v),
        node.cut ? h('span', { class: 'muted' }, ` … (${node.cut} chars)`) : null,
      );
    case 'number':
      return h('span', { class: 'v-number' }, node.v);
    case 'bigint':
      return h('span', { class: 'v-number' }, `${node.v}n`);
    case 'boolean':
      return h('span', { class: 'v-bool' }, String(node.v));
    case 'null':
    case 'undefined':
      return h('span', { class: 'v-null' }, node.t);
    case 'date':
      return h('span', { class: 'v-rich' }, h('span', { class: 'tag' }, 'Date'), node.iso ?? 'Invalid Date');
    case 'regexp':
      return h('span', { class: 'v-rich' }, h('span', { class: 'tag' }, 'RegExp'), node.v);
    case 'error':
      return h('span', { class: 'v-rich' }, h('span', { class: 'tag' }, node.name), node.message);
    case 'bytes':
      return h(
        'span',
        { class: 'v-rich' },
        h('span', { class: 'tag' }, `${node.kind}(${node.length})`),
        node.hex + (node.length > 64 ? ' …' : ''),
      );
    case 'ref':
      return h('span', { class: 'v-null' }, `↺ same as ${node.path}`);
    case 'other':
      return h('span', { class: 'v-null' }, node.v);
    default:
      return h('span', { class: 'v-rich' }, inline(node) ?? summary(node));
  }
}

/** A small object or array on one line (`{ checkout: "payment" }`), else its size. */
function inline(node: Extract<TreeNode, { entries: unknown }>): Child {
  const simple =
    node.entries.length <= 4 &&
    !node.more &&
    node.entries.every(([k, v]) => typeof k === 'string' && !('entries' in v));
  if (!simple || (node.t !== 'object' && node.t !== 'array') || node.entries.length === 0) return null;
  const parts = node.entries.map(([k, v], i) => [
    i > 0 ? ', ' : '',
    node.t === 'object' ? `${k as string}: ` : '',
    leaf(v),
  ]);
  return h('span', { class: 'inline' }, node.t === 'object' ? '{ ' : '[', parts, node.t === 'object' ? ' }' : ']');
}

function summary(node: TreeNode): Child {
  if (node.t === 'object') return h('span', { class: 'muted' }, `${node.kind ?? ''}{${node.size}}`);
  if (node.t === 'array') return h('span', { class: 'muted' }, `[${node.size}]`);
  if (node.t === 'map') return [h('span', { class: 'tag' }, 'Map'), h('span', { class: 'muted' }, `(${node.size})`)];
  if (node.t === 'set') return [h('span', { class: 'tag' }, 'Set'), h('span', { class: 'muted' }, `(${node.size})`)];
  return null;
}

const containsChange = (path: string, changed: ReadonlySet<string> | undefined) => {
  if (!changed) return false;
  for (const c of changed)
    if (c.startsWith(path) && (c.length === path.length || '.[('.includes(c[path.length]!))) return true;
  return false;
};

/**
 * Draws a value as a collapsible tree (`<details>` per object, array, Map
 * and Set); with `marks.changed`, changed paths are marked and the branches
 * leading to them open.
 */
export function tree(node: TreeNode, path: string, marks: TreeMarks = {}, depth = 0, label?: Child): HTMLElement {
  const changed = marks.changed?.has(path) ?? false;
  const cls = `node${changed ? ' changed' : ''}`;
  if (!('entries' in node)) return h('div', { class: cls, 'data-path': path }, label, leaf(node));
  const open = depth < (marks.open ?? 2) || containsChange(path, marks.changed);
  const rows = node.entries.map(([k, v]) => {
    const map = node.t === 'map';
    const name =
      typeof k !== 'string' ? leaf(k) : node.t === 'array' || node.t === 'set' || IDENT.test(k) ? k : JSON.stringify(k);
    const label = [h('span', { class: 'k' }, name), h('span', { class: 'colon' }, map ? ' ⇒ ' : ': ')];
    return tree(v, childPath(path, node, k), marks, depth + 1, label);
  });
  if (node.more) rows.push(h('div', { class: 'node muted' }, `… ${node.more} more not shown`));
  const details = h(
    'details',
    { class: cls, 'data-path': path, open },
    h('summary', {}, label, summary(node)),
    h('div', { class: 'kids' }, rows),
  );
  return details;
}
