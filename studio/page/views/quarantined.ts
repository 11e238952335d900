import type { QuarantinedView, StateBox } from '../api.js';
import { bytes, h, time } from '../dom.js';
import { generationDetail } from './generation.js';

/**
 * One quarantined generation: why it was set aside, then its contents as a
 * generation when the bytes still decode, else why they do not and their
 * first bytes as text and hex (stored text always goes in as text nodes).
 */
export function quarantinedDetail(q: QuarantinedView, machine: StateBox | undefined): HTMLElement {
  const section = (title: string, body: HTMLElement) => h('section', { class: 'card' }, h('h3', {}, title), body);
  const head = h(
    'div',
    { class: 'detail-head' },
    h('h2', {}, `Quarantined #${q.info.seq}`),
    h('span', { class: 'muted small' }, `set aside ${time(q.info.quarantinedAt)} · ${bytes(q.byteLength)}`),
  );
  const reason = h('div', { class: 'verdict bad', id: 'quarantine-reason' }, `Set aside for: ${q.info.reason}`);
  const body = q.generation
    ? [
        h('p', { class: 'muted', id: 'quarantine-decodes' }, 'Its bytes still decode; what it holds:'),
        generationDetail(q.generation, machine, null),
      ]
    : [
        h('div', { class: 'verdict bad', id: 'quarantine-problem' }, `${q.problem?.code}: ${q.problem?.detail}`),
        section('First bytes as text', h('pre', { class: 'raw', id: 'quarantine-text' }, q.text ?? '')),
        section('First bytes in hex', h('pre', { class: 'raw', id: 'quarantine-hex' }, q.hex ?? '')),
      ];
  return h('div', { class: 'detail quarantined', 'data-id': q.info.id }, head, reason, body);
}
