import type { GenerationView, StateBox } from '../api.js';
import { bytes, duration, h, time } from '../dom.js';
import { tree } from '../tree.js';
import { machineDrawing } from './machine.js';

/** The header facts of a generation, as a definition grid. */
export function headerFacts(g: GenerationView): HTMLElement {
  const fact = (name: string, value: string) => h('div', {}, h('dt', {}, name), h('dd', {}, value));
  const hd = g.header;
  return h(
    'dl',
    { class: 'facts' },
    fact('seq', `#${g.seq}`),
    fact('written', time(hd.createdAt)),
    fact('machine', `${hd.machine} v${hd.version}`),
    fact('epoch', String(hd.epoch)),
    fact('codec', hd.codec + (hd.compression ? ` + ${hd.compression}` : '')),
    fact('payload', bytes(hd.length)),
    fact('status', g.status),
  );
}

function timersTable(g: GenerationView): HTMLElement {
  if (g.timers.length === 0) return h('p', { class: 'muted' }, 'No pending timers.');
  return h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'event'), h('th', {}, 'from → to'), h('th', {}, 'deadline'), h('th', {}, 'time left')),
    ),
    h(
      'tbody',
      {},
      g.timers.map((t) =>
        h(
          'tr',
          { class: 'timer' },
          h('td', {}, h('code', {}, t.event)),
          h('td', {}, `${t.source} → ${t.target}`),
          h('td', {}, time(t.deadline)),
          h(
            'td',
            { class: t.leftMs < 0 ? 'overdue' : 'due', 'data-deadline': t.deadline },
            t.leftMs < 0 ? `overdue by ${duration(t.leftMs)} (fires on restore)` : `in ${duration(t.leftMs)}`,
          ),
        ),
      ),
    ),
  );
}

function childrenTable(g: GenerationView): HTMLElement {
  if (g.children.length === 0) return h('p', { class: 'muted' }, 'No child actors.');
  return h(
    'table',
    { class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', {}, 'id'), h('th', {}, 'src'), h('th', {}, 'status'), h('th', {}, 'state'))),
    h(
      'tbody',
      {},
      g.children.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, c.id)),
          h('td', {}, c.src),
          h('td', {}, c.status),
          h('td', {}, c.state ?? '—'),
        ),
      ),
    ),
  );
}

/** The machine check of one generation: would it restore into the `--machine` machine. */
export function verdict(g: GenerationView): HTMLElement | null {
  const m = g.machine;
  if (!m) return null;
  if (m.ok) {
    const migrated =
      m.migrationsApplied && m.migrationsApplied.length > 0
        ? `, migrating through steps ${m.migrationsApplied.join(', ')}`
        : '';
    return h('div', { class: 'verdict ok' }, `✓ restores into the machine${migrated}`);
  }
  return h('div', { class: 'verdict bad' }, `✗ would not restore: ${m.detail ?? m.code ?? 'unknown problem'}`);
}

/** `12`, or `600, the first 500 shown`. */
const count = (total: number, shown: number) => (total > shown ? `${total}, the first ${shown} shown` : String(total));

/** Every section of one generation: state, machine, context, timers, children. */
export function generationDetail(
  g: GenerationView,
  machine: StateBox | undefined,
  actions: HTMLElement | null,
): HTMLElement {
  const section = (title: string, ...body: Array<HTMLElement | null>) =>
    h('section', { class: 'card' }, h('h3', {}, title), ...body);
  return h(
    'div',
    { class: 'detail', 'data-seq': g.seq },
    h(
      'div',
      { class: 'detail-head' },
      h('h2', {}, `Generation #${g.seq}`),
      h('code', { class: 'pill big', id: 'state-value' }, g.state),
      actions,
    ),
    headerFacts(g),
    verdict(g),
    machine && g.machine ? section('Machine', machineDrawing(machine, new Set(g.machine.active))) : null,
    section('Context', h('div', { class: 'tree' }, tree(g.context, 'context'))),
    section(`Pending timers (${count(g.timerCount, g.timers.length)})`, timersTable(g)),
    section(`Children (${count(g.childCount, g.children.length)})`, childrenTable(g)),
  );
}

/** Keeps every "time left" cell counting down. */
export function tickTimers(root: HTMLElement): () => void {
  const id = setInterval(() => {
    for (const cell of root.querySelectorAll<HTMLElement>('[data-deadline]')) {
      const left = Number(cell.dataset['deadline']) - Date.now();
      cell.className = left < 0 ? 'overdue' : 'due';
      cell.textContent = left < 0 ? `overdue by ${duration(left)} (fires on restore)` : `in ${duration(left)}`;
    }
  }, 1000);
  return () => clearInterval(id);
}
