import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { packageAsPublished } from '../package-as-published.js';

// `xstate-checkpoint` is the built package, resolved through its exports (npm run build first).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [packageAsPublished('examples/browser')],
  build: { outDir: 'dist', emptyOutDir: true },
});
