// Builds the example for a real Electron into examples/electron/out (or the folder given):
//   npx tsx examples/electron/build.ts [outDir]
// main.js (the main process, ESM), preload.cjs (CommonJS, as a sandboxed preload must be),
// renderer.js (the page's script) and index.html. `xstate-checkpoint` resolves through the
// package's exports to its build (`npm run build` first); in an app it is the installed package.
import { copyFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';
import { packageAsPublished } from '../package-as-published.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = resolve(process.argv[2] ?? `${here}out`);

const bundle = (entry: string, format: 'es' | 'cjs', fileName: string, external: RegExp): InlineConfig => ({
  configFile: false,
  logLevel: 'warn',
  plugins: [packageAsPublished('examples/electron')],
  build: {
    outDir,
    emptyOutDir: false,
    minify: false,
    target: 'es2022',
    lib: { entry: `${here}${entry}`, formats: [format], fileName: () => fileName },
    rollupOptions: { external: (id) => external.test(id) },
  },
});

await mkdir(outDir, { recursive: true });
// The main process runs in Node: Node's built-ins and Electron stay imports, the rest is bundled.
await build(bundle('main.ts', 'es', 'main.js', /^(node:|electron$)/));
// A sandboxed preload may only require('electron').
await build(bundle('preload.ts', 'cjs', 'preload.cjs', /^electron$/));
// The page: no Node, no Electron; everything bundled.
await build(bundle('renderer.ts', 'es', 'renderer.js', /^$/));
await copyFile(`${here}index.html`, resolve(outDir, 'index.html'));
console.log(`Built into ${outDir}. Run it: npx electron ${resolve(outDir, 'main.js')}`);
