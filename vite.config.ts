import { execFileSync } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Library entries: the package's `exports` map points at their build output. An adapter is a
 * folder: `adapters/<name>` is `adapters/<name>/index.ts`, `adapters/<name>-journal` its `journal.ts`.
 */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  'adapters/memory': 'adapters/memory/index.ts',
  'adapters/fs': 'adapters/fs/index.ts',
  'adapters/fs-journal': 'adapters/fs/journal.ts',
  'adapters/postgres': 'adapters/postgres/index.ts',
  'adapters/postgres-journal': 'adapters/postgres/journal.ts',
  'adapters/redis': 'adapters/redis/index.ts',
  'adapters/indexeddb': 'adapters/indexeddb/index.ts',
  'adapters/indexeddb-journal': 'adapters/indexeddb/journal.ts',
  'adapters/localstorage': 'adapters/localstorage/index.ts',
  'adapters/channel': 'adapters/channel/index.ts',
  react: 'src/entries/react.ts',
  testing: 'src/entries/testing.ts',
  otel: 'src/entries/otel.ts',
  journal: 'src/entries/journal.ts',
  durable: 'src/entries/durable.ts',
  pipeline: 'src/entries/pipeline.ts',
  'adapter-kit': 'src/entries/adapter-kit.ts',
  bullmq: 'src/entries/bullmq.ts',
  // The `xstate-checkpoint` bin (package.json "bin"), not an export.
  cli: 'cli/main.ts',
};

/**
 * Modules that `persistActor` loads with `import()` only when an app or a payload needs them,
 * while other entries import them statically (the pipeline, the full `taggedJsonCodec`). Each
 * group is a chunk of its own, so an app's bundler, dropping the static imports it does not use,
 * leaves them out of the start bundle (test/package/size.test.ts measures it).
 */
const onDemandChunks: Record<string, RegExp> = {
  codec: /[\\/]src[\\/]codec[\\/](index|encode|decode|kind|writer|format)\.ts$/,
  refs: /[\\/]src[\\/](refs|restored-actor|persisted-tree)\.ts$/,
  'option-checks': /[\\/]src[\\/](option-checks|retention-options)\.ts$/,
};
const onDemandChunk = (id: string): string | null =>
  Object.keys(onDemandChunks).find((name) => onDemandChunks[name]!.test(id)) ?? null;

// Tests import the package by its public name; these aliases point it at the source.
const alias = [
  { find: /^xstate-checkpoint$/, replacement: `${root}src/index.ts` },
  ...Object.entries(entries)
    .filter(([name]) => name.startsWith('adapters/'))
    .map(([name, file]) => ({ find: new RegExp(`^xstate-checkpoint/${name}$`), replacement: `${root}${file}` })),
  { find: /^xstate-checkpoint\/(.*)$/, replacement: `${root}src/entries/$1.ts` },
];

const xstateDist = `${root}node_modules/xstate/dist/`;
const xstateProduction = [
  { find: /^xstate$/, replacement: `${xstateDist}xstate.esm.js` },
  { find: /^xstate\/(actors|guards|actions|dev|graph)$/, replacement: `${xstateDist}xstate-$1.esm.js` },
];

const nodeTests = ['test/**/*.test.ts'];
// The meta-test checks what the other projects did, so it runs in a project of its own, last.
const metaTest = 'test/conformance/meta.test.ts';
// The studio's Chromium test sits with its other tests (test/studio/) but runs in the chromium project.
const studioChromium = 'test/studio/*.chromium.test.ts';
const notNode = ['test/browser/**', 'test/chromium/**', studioChromium, 'test/bench/**', 'node_modules/**', metaTest];

// One id per `vitest` process (this file is loaded once per project): conformance suites stamp
// their run markers with it, and the meta project reads back only the markers of its own run.
const runFlag = Symbol.for('xstate-checkpoint.test-run');
const runId = ((globalThis as Record<symbol, unknown>)[runFlag] ??= `${Date.now()}-${process.pid}`) as string;
const provideFor = (project: string) => ({ xscRun: runId, xscProject: project });

// Browser tests drive Debian's Chromium (never a downloaded one): CHROMIUM_PATH, else `which chromium`.
const chromiumPath = process.env.CHROMIUM_PATH || whichChromium();
function whichChromium(): string | undefined {
  try {
    return (
      execFileSync('which', ['chromium'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
// In CI a missing Chromium must fail, so the projects stay in and cannot launch.
const withChromium = chromiumPath !== undefined || Boolean(process.env.CI);
// Vitest loads this file once per project: say it once per process.
const noticeFlag = Symbol.for('xstate-checkpoint.chromium-notice');
if (!withChromium && process.env.VITEST && !(globalThis as Record<symbol, unknown>)[noticeFlag]) {
  (globalThis as Record<symbol, unknown>)[noticeFlag] = true;
  console.log('Browser tests skipped: no Chromium found. Install it (apt-get install chromium) or set CHROMIUM_PATH.');
}
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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
      // Lets the chunk groups below keep their dependencies in the shared chunks.
      preserveEntrySignatures: 'allow-extension',
      external: (id) => /^(node:|xstate|pg|ioredis|fs-extra|react|superjson|@opentelemetry\/api)/.test(id),
      output: {
        // The bin runs as a script: a shebang here, the executable bit in the plugin below.
        banner: (chunk) => (chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
        // What the start path loads on demand has chunks of its own (see onDemandChunks).
        codeSplitting: { groups: [{ name: onDemandChunk, includeDependenciesRecursively: false }] },
      },
    },
  },
  plugins: [
    {
      name: 'executable-cli',
      apply: 'build',
      writeBundle: (options, bundle) =>
        'cli.js' in bundle ? chmod(`${options.dir ?? 'dist'}/cli.js`, 0o755) : undefined,
    },
  ],
  test: {
    projects: [
      {
        extends: true,
        // Vitest resolves with the "development" condition outside production
        // mode (for its workers too); this project pins XState's production build.
        resolve: { alias: [...xstateProduction, ...alias] },
        test: { name: 'node', include: nodeTests, exclude: notNode, testTimeout: 20_000, provide: provideFor('node') },
      },
      {
        // XState's development and production builds differ (inline spawned
        // actors); the core suite runs against both.
        extends: true,
        ssr: { resolve: { conditions: ['module', 'node', 'development'], externalConditions: ['development'] } },
        test: {
          name: 'node-dev',
          include: ['test/core/**/*.test.ts'],
          exclude: notNode,
          execArgv: ['--conditions=development'],
          testTimeout: 20_000,
          provide: provideFor('node-dev'),
        },
      },
      ...(withChromium
        ? [
            {
              // Tests inside a page of real Chromium (vitest browser mode).
              extends: true as const,
              test: {
                name: 'browser',
                benchmark: { include: [] },
                include: ['test/browser/**/*.test.ts', 'test/browser/**/*.test.tsx'],
                testTimeout: 30_000,
                provide: provideFor('browser'),
                browser: {
                  enabled: true,
                  headless: true,
                  provider: playwright({
                    launchOptions: { ...(chromiumPath ? { executablePath: chromiumPath } : {}), args: chromiumArgs },
                  }),
                  instances: [{ browser: 'chromium' as const }],
                  screenshotFailures: false,
                },
              },
            },
            {
              // Tests in Node that drive several Chromium tabs and kill the browser (playwright-core).
              extends: true as const,
              test: {
                name: 'chromium',
                benchmark: { include: [] },
                include: ['test/chromium/**/*.test.ts', studioChromium],
                env: { CHROMIUM_PATH: chromiumPath ?? '', CHROMIUM_ARGS: chromiumArgs.join(' ') },
                testTimeout: 60_000,
                hookTimeout: 60_000,
              },
            },
          ]
        : []),
      {
        // Runs after every other project has finished (groups run from the lowest order up):
        // it checks that each conformance suite really ran, from the markers the suites wrote.
        // (With --maxWorkers=1 vitest runs default-order files last, after this group: the check
        // then fails under CI instead of passing on nothing.)
        extends: true,
        test: {
          name: 'meta',
          include: [metaTest],
          provide: provideFor('meta'),
          sequence: { groupOrder: 1 },
        },
      },
    ],
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
  },
});
