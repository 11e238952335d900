import { existsSync, readFileSync } from 'node:fs';
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
    resolveId(source) {
      if (installedIn === undefined || !/^xstate-checkpoint(\/|$)/.test(source)) return null;
      // Read from the installed package's own exports map: the bundler's resolver and tsx's both
      // honour the repository's tsconfig `paths`, which point the package's name at the source.
      return fromExports(join(installedIn, 'node_modules/xstate-checkpoint'), source);
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

/** The file `source` (`xstate-checkpoint` or a subpath) names in the package's `exports` map. */
function fromExports(packageDir: string, source: string): string {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    exports: Record<string, string | Record<string, string>>;
  };
  const subpath = `.${source.slice('xstate-checkpoint'.length)}`;
  const entry = Object.hasOwn(pkg.exports, subpath) ? pkg.exports[subpath] : undefined;
  const target = typeof entry === 'string' ? entry : (entry?.['import'] ?? entry?.['default']);
  if (target === undefined) throw new TypeError(`${source} is not in the exports map of ${packageDir}`);
  return join(packageDir, target);
}
