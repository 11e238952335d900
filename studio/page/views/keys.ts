import { get, type KeyPage } from '../api.js';
import { ago, bytes, h, time } from '../dom.js';
import { go, keyHref } from '../route.js';

const PAGE = 50;

/** The key list: searchable, paged, one row per key with its newest generation. */
export async function keysView(app: HTMLElement, params: URLSearchParams): Promise<void> {
  const q = params.get('q') ?? '';
  const offset = Number(params.get('offset') ?? 0) || 0;
  const page = await get<KeyPage & { ms: number }>('keys', { q, offset, limit: PAGE });
  const search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Search keys…',
    value: q,
    'aria-label': 'search keys',
    autofocus: true,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => go(`#/?q=${encodeURIComponent(search.value)}`), 200);
  });
  const last = Math.min(page.offset + page.rows.length, page.total);
  const pager = (to: number, label: string, enabled: boolean) =>
    h(
      'a',
      {
        class: `btn${enabled ? '' : ' disabled'}`,
        href: enabled ? `#/?q=${encodeURIComponent(q)}&offset=${to}` : undefined,
      },
      label,
    );
  const rows = page.rows.map((r) =>
    h(
      'tr',
      { class: 'row', 'data-key': r.key, onclick: () => go(keyHref(r.key)) },
      h(
        'td',
        { class: 'key' },
        h('a', { href: keyHref(r.key) }, r.key),
        r.quarantined > 0
          ? h('span', { class: 'badge warn', title: `${r.quarantined} quarantined` }, `⚠ ${r.quarantined} quarantined`)
          : null,
      ),
      h(
        'td',
        { class: 'state' },
        r.newest?.state
          ? h('code', { class: 'pill' }, r.newest.state)
          : h('span', { class: 'muted' }, r.newest?.problem ?? '—'),
      ),
      h('td', { class: 'num' }, r.newest ? `#${r.newest.seq}` : '—'),
      h('td', { class: 'num' }, String(r.generations)),
      h('td', {}, r.newest ? h('span', { title: time(r.newest.createdAt) }, ago(r.newest.createdAt)) : '—'),
      h('td', { class: 'num' }, r.newest ? bytes(r.newest.byteLength) : '—'),
    ),
  );
  app.replaceChildren(
    h(
      'section',
      { class: 'panel' },
      h(
        'div',
        { class: 'panel-head' },
        h('h1', {}, 'Keys'),
        search,
        h(
          'span',
          { class: 'muted', id: 'key-count' },
          `${page.total.toLocaleString()} key${page.total === 1 ? '' : 's'} · listed in ${page.ms} ms`,
        ),
      ),
      page.total === 0
        ? h('p', { class: 'empty' }, q === '' ? 'This store has no keys yet.' : `No key contains “${q}”.`)
        : h(
            'table',
            { class: 'grid keys' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'key'),
                h('th', {}, 'state'),
                h('th', { class: 'num' }, 'newest'),
                h('th', { class: 'num' }, 'gens'),
                h('th', {}, 'written'),
                h('th', { class: 'num' }, 'size'),
              ),
            ),
            h('tbody', {}, rows),
          ),
      h(
        'div',
        { class: 'pager' },
        pager(Math.max(0, page.offset - PAGE), '← previous', page.offset > 0),
        h(
          'span',
          { class: 'muted' },
          page.total === 0 ? '' : `${page.offset + 1}–${last} of ${page.total.toLocaleString()}`,
        ),
        pager(page.offset + PAGE, 'next →', last < page.total),
      ),
    ),
  );
  // The list is redrawn as the search is typed: keep typing where the caret was.
  search.focus();
  search.setSelectionRange(search.value.length, search.value.length);
}
