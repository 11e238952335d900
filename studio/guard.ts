import type { IncomingMessage } from 'node:http';
import { tokenMatches } from './token.js';

/** What {@link checkRequest} decided: go on with the path after the token, or refuse with a status. */
export type GuardResult =
  | { readonly ok: true; readonly path: string; readonly query: URLSearchParams }
  | { readonly ok: false; readonly status: 400 | 401 | 403 | 405; readonly code: string; readonly message: string };

/** What the guard checks against. */
export interface GuardOptions {
  readonly token: string;
  /** The port the server listens on: the only Host values accepted are `127.0.0.1:<port>` and `localhost:<port>`. */
  readonly port: number;
  /** Started with `--write`. */
  readonly write: boolean;
}

const WRITE_METHODS = new Set(['POST']);

/**
 * The studio's front door, run before anything else on every request:
 * - the Host header must name this server (`127.0.0.1:<port>` or
 *   `localhost:<port>`), so a page on another name resolving to 127.0.0.1
 *   (DNS rebinding) is refused;
 * - the path must start with `/<token>/` (compared in constant time);
 * - only GET (reading) and, with `--write`, POST with a JSON body and, when
 *   the browser sends one, an Origin equal to this server's.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 * import { checkRequest } from './guard.js';
 * declare const req: IncomingMessage;
 * const verdict = checkRequest(req, { token: 't', port: 4000, write: false });
 * ```
 */
export function checkRequest(req: IncomingMessage, options: GuardOptions): GuardResult {
  const host = req.headers.host ?? '';
  const hosts = [`127.0.0.1:${options.port}`, `localhost:${options.port}`];
  if (!hosts.includes(host.toLowerCase())) {
    return refuse(403, 'bad-host', `Host "${host}" is not this studio (open http://127.0.0.1:${options.port}/...)`);
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${hosts[0]}`);
  } catch {
    return refuse(400, 'bad-url', 'the request URL cannot be parsed');
  }
  const [, first = '', ...rest] = url.pathname.split('/');
  if (first === '' || !tokenMatches(first, options.token)) {
    return refuse(401, 'no-token', 'this studio needs the token from the URL it printed at start');
  }
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && !WRITE_METHODS.has(method)) {
    return refuse(405, 'method', `${method} is not accepted`);
  }
  if (WRITE_METHODS.has(method)) {
    if (!options.write) {
      return refuse(403, 'read-only', 'this studio is read-only: restart it with --write to roll back or restore');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) {
      return refuse(403, 'bad-origin', `Origin "${origin}" is not this studio`);
    }
    // A form or a no-CORS fetch from another page cannot send application/json.
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return refuse(400, 'bad-content-type', 'write requests carry a JSON body (content-type: application/json)');
    }
  }
  // `''` (no slash after the token): the page's relative URLs need one, so the server redirects.
  return { ok: true, path: rest.length === 0 ? '' : `/${rest.join('/')}`, query: url.searchParams };
}

function refuse(status: 400 | 401 | 403 | 405, code: string, message: string): GuardResult {
  return { ok: false, status, code, message };
}
