import './style.css';
import { ApiError, get, type Info, type StateBox } from './api.js';
import { h, toast } from './dom.js';
import { parseRoute, type Route } from './route.js';
import { diffView } from './views/diff.js';
import { keyView } from './views/key.js';
import { keysView } from './views/keys.js';

const app = document.getElementById('app')!;
let info: Info;
let machine: StateBox | undefined;
let cleanup: (() => void) | undefined;
let events: EventSource | undefined;
let rendering = 0;

function theme(): void {
  const saved = localStorage.getItem('xsc-studio-theme');
  const dark = saved ? saved === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
  document.getElementById('theme')!.addEventListener('click', () => {
    const next = document.documentElement.dataset['theme'] === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset['theme'] = next;
    localStorage.setItem('xsc-studio-theme', next);
  });
}

/** One event stream per view: the open key's new generations, and the number of keys. */
function listen(route: Route): void {
  events?.close();
  const key = route.view === 'keys' ? undefined : route.key;
  events = new EventSource(`api/events${key === undefined ? '' : `?key=${encodeURIComponent(key)}`}`);
  const live = document.getElementById('live')!;
  events.addEventListener('ready', () => live.classList.add('on'));
  events.addEventListener('error', () => live.classList.remove('on'));
  events.addEventListener('generation', (e) => {
    const { seq } = JSON.parse((e as MessageEvent<string>).data) as { seq: number };
    toast(`New generation #${seq} of ${key ?? ''}`);
    // The newest is shown when no generation was picked: show the new one.
    void render(false);
  });
  events.addEventListener('keys', () => {
    if (parseRoute(location.hash).view === 'keys') void render(false);
  });
}

async function render(reconnect = true): Promise<void> {
  const ticket = ++rendering;
  const route = parseRoute(location.hash);
  cleanup?.();
  cleanup = undefined;
  try {
    if (route.view === 'keys') await keysView(app, route.params);
    else if (route.view === 'key') cleanup = await keyView(app, route, { info, machine });
    else await diffView(app, route.key, route.a, route.b, machine);
  } catch (error) {
    if (ticket !== rendering) return;
    const message = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
    app.replaceChildren(
      h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Keys')),
      h('div', { class: 'verdict bad' }, message),
    );
  }
  if (reconnect) listen(route);
}

async function start(): Promise<void> {
  theme();
  info = await get<Info>('info');
  if (info.machine) machine = (await get<{ root: StateBox }>('machine')).root;
  document.getElementById('store')!.textContent =
    `${info.adapter} · ${info.store}${info.machine ? ` · machine ${info.machine.id} v${info.machine.version}` : ''}`;
  const mode = document.getElementById('mode')!;
  mode.textContent = info.write ? 'write' : 'read-only';
  mode.className = `mode ${info.write ? 'write' : 'ro'}`;
  mode.title = info.write
    ? 'Started with --write: rollback and restore are enabled'
    : 'Restart with --write to roll back or restore';
  window.addEventListener('hashchange', () => void render());
  // Chromium allows 6 connections per host: a hidden tab gives its event stream back, and
  // catches up when shown again.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      events?.close();
      events = undefined;
      document.getElementById('live')!.classList.remove('on');
    } else if (!events) void render();
  });
  await render();
  document.body.dataset['ready'] = 'true';
}

void start().catch((error: unknown) => {
  app.replaceChildren(h('div', { class: 'verdict bad' }, `The studio could not start: ${String(error)}`));
});
