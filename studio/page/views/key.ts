import { get, type GenerationView, type Info, type KeyHistory, type QuarantinedView, type StateBox } from '../api.js';
import { ago, bytes, h, time } from '../dom.js';
import { diffHref, go, keyHref, quarantinedHref, type Route } from '../route.js';
import { confirmAction } from './confirm.js';
import { generationDetail, tickTimers } from './generation.js';
import { quarantinedDetail } from './quarantined.js';

/** What the key view needs besides the route. */
export interface KeyViewEnv {
  readonly info: Info;
  readonly machine: StateBox | undefined;
}

function writeButton(info: Info, label: string, id: string, run: () => void): HTMLElement {
  if (info.write) return h('button', { class: 'btn danger', type: 'button', id, onclick: run }, label);
  return h(
    'button',
    { class: 'btn', type: 'button', id, disabled: true, title: 'The studio is read-only: restart it with --write' },
    label,
  );
}

/** One key: its generations as a timeline, quarantined ones apart, and the chosen generation in full. */
export async function keyView(
  app: HTMLElement,
  route: Extract<Route, { view: 'key' }>,
  env: KeyViewEnv,
): Promise<() => void> {
  const { key, quarantined: chosenQuarantined } = route;
  const history = await get<KeyHistory>('key', { key });
  const newest = history.generations[0]?.seq;
  const seq = chosenQuarantined === undefined ? (route.seq ?? newest) : undefined;
  const generation =
    seq === undefined ? undefined : await get<GenerationView>('generation', { key, seq }).catch((e: Error) => e);
  const inQuarantine =
    chosenQuarantined === undefined
      ? undefined
      : await get<QuarantinedView>('quarantined', { key, id: chosenQuarantined }).catch((e: Error) => e);
  const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

  const timeline = h(
    'ol',
    { class: 'timeline', id: 'timeline' },
    history.generations.map((g, i) =>
      h(
        'li',
        { class: `gen${g.seq === seq ? ' selected' : ''}`, 'data-seq': g.seq, onclick: () => go(keyHref(key, g.seq)) },
        h('span', { class: 'dot' }),
        h('a', { class: 'seq', href: keyHref(key, g.seq) }, `#${g.seq}`),
        i === 0 ? h('span', { class: 'badge' }, 'newest') : null,
        h('span', { class: 'when', title: time(g.createdAt) }, time(g.createdAt)),
        h('span', { class: 'muted small' }, `${ago(g.createdAt)} · epoch ${g.epoch} · ${bytes(g.byteLength)}`),
        seq !== undefined && g.seq !== seq
          ? h(
              'a',
              {
                class: 'compare',
                href: diffHref(key, Math.min(g.seq, seq), Math.max(g.seq, seq)),
                title: `compare #${g.seq} with #${seq}`,
                onclick: (e: Event) => e.stopPropagation(),
              },
              '⇄ diff',
            )
          : null,
      ),
    ),
  );
  const quarantined =
    history.quarantined.length === 0
      ? null
      : h(
          'section',
          { class: 'card quarantine', id: 'quarantined' },
          h('h3', {}, `Quarantined (${history.quarantined.length})`),
          history.quarantined.map((q) =>
            h(
              'div',
              { class: `q-item${q.id === chosenQuarantined ? ' selected' : ''}`, 'data-id': q.id },
              h(
                'div',
                {},
                h('a', { class: 'seq', href: quarantinedHref(key, q.id), title: 'look inside' }, `#${q.seq}`),
                h('span', { class: 'muted small' }, ` set aside ${time(q.quarantinedAt)} · ${bytes(q.byteLength)}`),
              ),
              h('div', { class: 'reason' }, q.reason),
              writeButton(env.info, 'Restore…', `restore-${q.id}`, () => {
                void confirmAction(
                  'quarantine-restore',
                  { key, id: q.id },
                  `Restore quarantined #${q.seq} of ${key}?`,
                ).then((r) => r && refresh());
              }),
            ),
          ),
        );
  const actions =
    seq === undefined || seq === newest
      ? null
      : writeButton(env.info, `Roll back to #${seq}…`, 'rollback', () => {
          void confirmAction('rollback', { key, seq }, `Roll back ${key} to generation #${seq}?`).then(
            (r) => r && go(keyHref(key)),
          );
        });
  const detail =
    inQuarantine instanceof Error
      ? h('div', { class: 'verdict bad' }, `Quarantined ${chosenQuarantined} cannot be read: ${inQuarantine.message}`)
      : inQuarantine
        ? quarantinedDetail(inQuarantine, env.machine)
        : generation === undefined
          ? h(
              'p',
              { class: 'empty' },
              'This key has no readable generations, only quarantined ones: open one to look inside.',
            )
          : generation instanceof Error
            ? h('div', { class: 'verdict bad' }, `Generation #${seq} cannot be read: ${generation.message}`)
            : generationDetail(generation, env.machine, actions);

  app.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Keys'), ' / ', h('strong', {}, key)),
    h(
      'div',
      { class: 'split' },
      h(
        'aside',
        { class: 'side' },
        h('section', { class: 'card' }, h('h3', {}, `Generations (${history.generations.length})`), timeline),
        quarantined,
      ),
      h('div', { class: 'main' }, detail),
    ),
  );
  return tickTimers(app);
}
