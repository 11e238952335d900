import { get, type DiffView, type StateBox, type TreeNode } from '../api.js';
import { h } from '../dom.js';
import { keyHref } from '../route.js';
import { leaf, tree } from '../tree.js';
import { headerFacts, verdict } from './generation.js';
import { machineDrawing } from './machine.js';

const value = (n: TreeNode | undefined) => (n === undefined ? '' : leaf(n));

/** Two generations side by side, the changed paths listed and marked in both trees. */
export async function diffView(
  app: HTMLElement,
  key: string,
  a: number,
  b: number,
  machine: StateBox | undefined,
): Promise<void> {
  const d = await get<DiffView>('diff', { key, a, b });
  const changed = new Set(d.changes.map((c) => c.path));
  const side = (g: DiffView['a']) =>
    h(
      'section',
      { class: 'card' },
      h(
        'h2',
        {},
        h('a', { href: keyHref(key, g.seq) }, `#${g.seq}`),
        ' ',
        h(
          'code',
          { class: `pill${changed.has('value') || [...changed].some((p) => p.startsWith('value')) ? ' changed' : ''}` },
          g.state,
        ),
      ),
      headerFacts(g),
      verdict(g),
      machine && g.machine ? machineDrawing(machine, new Set(g.machine.active)) : null,
      h('h3', {}, 'Context'),
      h('div', { class: 'tree' }, tree(g.context, 'context', { changed, open: 1 })),
    );
  const sign = { added: '+', removed: '−', changed: '~' } as const;
  app.replaceChildren(
    h(
      'nav',
      { class: 'crumbs' },
      h('a', { href: '#/' }, 'Keys'),
      ' / ',
      h('a', { href: keyHref(key) }, key),
      ' / ',
      h('strong', {}, `#${a} ⇄ #${b}`),
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'h3',
        {},
        d.changes.length === 0
          ? 'No differences'
          : `${d.changes.length} difference${d.changes.length === 1 ? '' : 's'}`,
      ),
      h(
        'ul',
        { class: 'changes', id: 'changes' },
        d.changes.map((c) =>
          h(
            'li',
            { class: `change ${c.kind}` },
            h('span', { class: 'sign' }, sign[c.kind]),
            h('code', { class: 'path' }, c.path),
            c.kind === 'changed'
              ? [value(c.from), h('span', { class: 'arrow' }, ' → '), value(c.to)]
              : value(c.kind === 'added' ? c.to : c.from),
          ),
        ),
      ),
    ),
    h('div', { class: 'sides' }, side(d.a), side(d.b)),
  );
}
