/** Attributes and handlers of {@link h}: `on*` keys are listeners, `class` and the rest are attributes. */
export type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
/** What {@link h} accepts as children. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/**
 * Builds an element: `h('a', { href: '#/', class: 'x' }, 'text')`. Text is
 * always a text node, never HTML, so stored strings cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c as readonly Child[]);
    else el.appendChild(typeof c === 'object' ? (c as Node) : document.createTextNode(String(c)));
  }
}

/** `1234` → `1.2 KB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A time as `2026-12-04 17:58:39` (local), or `unknown`. */
export function time(ms: number): string {
  const d = new Date(ms);
  // A stored header may say 2^53 - 1: past what a Date holds (year 275760).
  if (!(ms > 0) || Number.isNaN(d.getTime())) return 'unknown';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A duration as `3 d 4 h`, `5 min 2 s`, `800 ms`. */
export function duration(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(a)} ms`;
  const s = Math.floor(a / 1000);
  const units: Array<[number, string]> = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, name] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ');
}

/** How long ago `ms` was, from `now`: `5 min ago`. */
export function ago(ms: number, now = Date.now()): string {
  return ms > 0 ? `${duration(now - ms)} ago` : '';
}

/** Shows a short message in the corner for a few seconds. */
export function toast(text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  const box = document.getElementById('toasts');
  if (!box) return;
  const el = h('div', { class: `toast ${kind}`, role: 'status' }, text);
  box.appendChild(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}
