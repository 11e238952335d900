import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// In an app this is `npm install xstate-checkpoint`; here the example runs against the source.
const repo = fileURLToPath(new URL('../../', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      { find: /^xstate-checkpoint$/, replacement: `${repo}src/index.ts` },
      { find: /^xstate-checkpoint\/adapters\/(.*)$/, replacement: `${repo}adapters/$1.ts` },
      { find: /^xstate-checkpoint\/(.*)$/, replacement: `${repo}src/entries/$1.ts` },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true },
});
