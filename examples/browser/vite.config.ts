import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const repo = fileURLToPath(new URL('../../', import.meta.url));
/**
 * A folder whose `node_modules/xstate-checkpoint` is an installed copy of the package (the
 * Chromium test puts a fresh build there). Without it, `xstate-checkpoint` resolves as a
 * package's own name does inside it: through package.json `exports`, to `dist/` of
 * `npm run build`.
 */
const installedIn = process.env.XSC_PACKAGE_ROOT;

/**
 * The example uses the package as an app gets it: every `xstate-checkpoint` import goes
 * through the package's `exports` map to built files, never to the TypeScript source, so a
 * packaging fault (a missing export, a build that pulls in `node:`) breaks this build.
 */
function packageAsPublished(): Plugin {
  return {
    name: 'xstate-checkpoint-as-published',
    enforce: 'pre',
    buildStart() {
      if (installedIn === undefined && !existsSync(join(repo, 'dist/index.js'))) {
        this.error('examples/browser uses the built package: run `npm run build` first (it writes dist/).');
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
        this.error(`examples/browser must use the built package, but ${file} is the source`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [packageAsPublished()],
  build: { outDir: 'dist', emptyOutDir: true },
});
