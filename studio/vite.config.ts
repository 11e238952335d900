import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The studio page: plain TypeScript and CSS, built into `dist/studio/` at
 * package build time (`npm run build` runs this after the library build).
 * Relative asset URLs, since the page lives under `/<token>/`.
 */
export default defineConfig({
  root: `${here}page`,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: process.env.STUDIO_OUT_DIR ?? `${here}../dist/studio`,
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
