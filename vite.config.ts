import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Library entries: the package's `exports` map points at their build output. */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  'adapters/memory': 'adapters/memory.ts',
  'adapters/fs': 'adapters/fs.ts',
  'adapters/postgres': 'adapters/postgres.ts',
  'adapters/indexeddb': 'adapters/indexeddb.ts',
  'adapters/localstorage': 'adapters/localstorage.ts',
};

// Tests import the package by its public name; these aliases point it at the source.
const alias = [
  { find: /^xstate-checkpoint$/, replacement: `${root}src/index.ts` },
  { find: /^xstate-checkpoint\/adapters\/(.*)$/, replacement: `${root}adapters/$1.ts` },
  { find: /^xstate-checkpoint\/(.*)$/, replacement: `${root}src/entries/$1.ts` },
];

const nodeTests = ['test/**/*.test.ts'];
const notNode = ['test/browser/**', 'test/bench/**', 'node_modules/**'];

export default defineConfig({
  resolve: { alias },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    lib: {
      entry: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, `${root}${file}`])),
      formats: ['es'],
    },
    rollupOptions: {
      external: (id) => /^(node:|xstate|pg|ioredis|idb-keyval|fs-extra|react|@xstate\/react|superjson)/.test(id),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'node', include: nodeTests, exclude: notNode, testTimeout: 20_000 },
      },
      {
        // XState's development and production builds differ (inline spawned
        // actors); the core suite runs against both.
        extends: true,
        resolve: { alias, conditions: ['development', 'module', 'import', 'default'] },
        ssr: {
          resolve: { conditions: ['development', 'module', 'import', 'default'], externalConditions: ['development'] },
        },
        test: {
          name: 'node-dev',
          include: ['test/core/**/*.test.ts'],
          exclude: notNode,
          execArgv: ['--conditions=development'],
          testTimeout: 20_000,
        },
      },
    ],
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
  },
});
