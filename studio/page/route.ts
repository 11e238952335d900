/**
 * The page's views, by hash: `#/`, `#/key/<key>`, `#/key/<key>/<seq>`, `#/key/<key>/q/<id>` (a quarantined
 * generation), `#/key/<key>/diff/<a>/<b>`.
 */
export type Route =
  | { readonly view: 'keys'; readonly params: URLSearchParams }
  | { readonly view: 'key'; readonly key: string; readonly seq?: number; readonly quarantined?: string }
  | { readonly view: 'diff'; readonly key: string; readonly a: number; readonly b: number };

// A hash typed or pasted by hand may hold a bare `%` (`#/key/50%`), which decodeURIComponent
// refuses with a URIError that would leave the page blank: such a part is the key as typed.
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Reads the route from a location hash. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'key' && parts[1] !== undefined) {
    const key = decoded(parts[1]);
    if (parts[2] === 'diff') return { view: 'diff', key, a: Number(parts[3]), b: Number(parts[4]) };
    if (parts[2] === 'q' && parts[3] !== undefined) return { view: 'key', key, quarantined: decoded(parts[3]) };
    const seq = Number(parts[2]);
    return Number.isSafeInteger(seq) && seq > 0 ? { view: 'key', key, seq } : { view: 'key', key };
  }
  return { view: 'keys', params: new URLSearchParams(query) };
}

/** The link to a key (and one of its generations). */
export const keyHref = (key: string, seq?: number) =>
  `#/key/${encodeURIComponent(key)}${seq === undefined ? '' : `/${seq}`}`;

/** The link to a quarantined generation of a key. */
export const quarantinedHref = (key: string, id: string) =>
  `#/key/${encodeURIComponent(key)}/q/${encodeURIComponent(id)}`;

/** The link to the diff of two generations. */
export const diffHref = (key: string, a: number, b: number) => `#/key/${encodeURIComponent(key)}/diff/${a}/${b}`;

/** Navigates to a hash (a no-op when it is the current one). */
export function go(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}
