import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const repo = fileURLToPath(new URL('../', import.meta.url));

/**
 * A Vite plugin for the examples that bundle the package (browser, Electron): every
 * `xstate-checkpoint` import goes through the package's `exports` map to built files, as in
 * an app, never to the TypeScript source, so a packaging fault (a missing export, a browser
 * entry that pulls in `node:`) breaks the example's build. By default the package resolves
 * as a package's own name does inside it, to `dist/` of `npm run build`; with
 * `XSC_PACKAGE_ROOT`, from that folder's `node_modules/xstate-checkpoint` (the tests put a
 * fresh build there).
 *
 * @example
 * ```ts
 * import { defineConfig } from 'vite';
 * import { packageAsPublished } from '../package-as-published.js';
 * export default defineConfig({ plugins: [packageAsPublished('examples/browser')] });
 * ```
 */
export function packageAsPublished(example: string): Plugin {
  const installedIn = process.env.XSC_PACKAGE_ROOT;
  return {
    name: 'xstate-checkpoint-as-published',
    enforce: 'pre',
    buildStart() {
      if (installedIn === undefined && !existsSync(join(repo, 'dist/index.js'))) {
        this.error(`${example} uses the built package: run \`npm run build\` first (it writes dist/).`);
      }
    },
    async resolveId(source, _importer, options) {
      if (installedIn === undefined || !/^xstate-checkpoint(\/|$)/.test(source)) return null;
      // Resolved as if imported from a file of that folder: its node_modules, the package's exports.
      return this.resolve(source, join(installedIn, 'entry.js'), { ...options, skipSelf: true });
    },
    load(id) {
      const file = id.split('?')[0]!;
      if (file.startsWith(join(repo, 'src/')) || file.startsWith(join(repo, 'adapters/'))) {
        this.error(`${example} must use the built package, but ${file} is the source`);
      }
      return null;
    },
  };
}
