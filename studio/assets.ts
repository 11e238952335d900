import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from '../src/errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The folders the built page may be in, first match wins: next to the bundle
 * that runs (the installed package: `dist/cli.js` or a chunk beside it, so
 * `dist/studio/`), then the repository's `dist/studio/` seen from this source
 * file (tests and `tsx cli/main.ts`).
 */
export function assetCandidates(base: string = import.meta.url): string[] {
  return [fileURLToPath(new URL('./studio/', base)), fileURLToPath(new URL('../dist/studio/', base))];
}

/**
 * Finds the built page (`index.html` and its assets): `dir` when given, else
 * the first of {@link assetCandidates} holding an `index.html`. Throws
 * `invalid-option` naming the folders tried and the build command.
 *
 * @example
 * ```ts
 * import { findAssets } from './assets.js';
 * const dir = await findAssets(); // '/.../node_modules/xstate-checkpoint/dist/studio/'
 * ```
 */
export async function findAssets(dir?: string): Promise<string> {
  const tried = dir === undefined ? assetCandidates() : [dir];
  for (const candidate of tried) {
    const found = await stat(join(candidate, 'index.html')).catch(() => undefined);
    if (found?.isFile()) return candidate;
  }
  throw new CheckpointError('invalid-option', {
    detail: `the studio page is not built (no index.html in ${tried.join(' or ')}); run \`npm run build\` in the repository`,
  });
}

/**
 * Serves one file of the built page (`/` is `index.html`); paths leaving the
 * folder are not found. Pages are never cached: a rebuilt page shows at once.
 *
 * @example
 * ```ts
 * import type { ServerResponse } from 'node:http';
 * import { serveAsset } from './assets.js';
 * declare const res: ServerResponse;
 * await serveAsset(res, '/path/to/dist/studio/', '/assets/index.js');
 * ```
 */
export async function serveAsset(res: ServerResponse, dir: string, path: string): Promise<void> {
  const relative = normalize(path === '/' || path === '' ? 'index.html' : decodeURIComponent(path).replace(/^\/+/, ''));
  const file = join(dir, relative);
  if (relative.startsWith('..') || !file.startsWith(normalize(dir + sep))) {
    res.writeHead(404).end();
    return;
  }
  const body = await readFile(file).catch(() => undefined);
  if (body === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res
    .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' })
    .end(body);
}
