import type { StateBox } from '../api.js';
import { duration, h } from '../dom.js';

/**
 * The machine's states as nested boxes; the active ones (and the path down
 * to them) highlighted, so where an actor sits is one look.
 */
export function machineDrawing(root: StateBox, active: ReadonlySet<string>): HTMLElement {
  const box = (node: StateBox, isRoot: boolean): HTMLElement => {
    const on = isRoot || active.has(node.path);
    const cls = ['box', node.type, on ? 'active' : '', node.children.length === 0 ? 'leaf' : '']
      .filter(Boolean)
      .join(' ');
    const tags = [
      node.type === 'parallel' ? h('span', { class: 'tag' }, 'parallel') : null,
      node.type === 'final' ? h('span', { class: 'tag' }, 'final') : null,
      node.type === 'history' ? h('span', { class: 'tag' }, 'history') : null,
      ...node.after.map((d) =>
        h(
          'span',
          { class: 'tag timer-tag', title: `delayed transition (${d})` },
          `after ${/^\d+$/.test(d) ? duration(Number(d)) : d}`,
        ),
      ),
    ];
    return h(
      'div',
      {
        class: cls,
        'data-state': node.path || '(root)',
        title: node.events.length > 0 ? `handles ${node.events.join(', ')}` : undefined,
      },
      h('div', { class: 'box-title' }, node.key, ...tags),
      node.events.length > 0
        ? h('div', { class: 'events' }, node.events.slice(0, 6).join(' · ') + (node.events.length > 6 ? ' …' : ''))
        : null,
      node.children.length > 0
        ? h(
            'div',
            { class: `box-kids${node.type === 'parallel' ? ' parallel' : ''}` },
            node.children.map((c) => box(c, false)),
          )
        : null,
    );
  };
  return h('div', { class: 'machine' }, box(root, true));
}
