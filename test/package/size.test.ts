import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import type { Rolldown } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packPackage } from './install.js';

const run = promisify(execFile);
const KB = 1024;
/** Issue 14's goal for what a browser app loads at start with persistActor and indexedDbAdapter. */
const START_TARGET = 9 * KB;
/**
 * What the start bundle may weigh today: the goal is not reached yet (see the table this test
 * prints; what is left is what every app needs on its first save and restore); this bound keeps
 * it from growing back. 17,987 B measured when it was set, plus about 256 B.
 */
const START_BUDGET = 18_240;

// The peers a browser app bundles anyway are left out, as the issue measures.
const external = /^(xstate|react|zod|superjson)(\/|$)/;
let app: string;

/** A chunk of the app's build: its gzip size and what it is made of. */
interface Chunk {
  readonly name: string;
  readonly gzip: number;
  readonly modules: ReadonlyArray<readonly [string, number]>;
  readonly imports: readonly string[];
  readonly dynamicImports: readonly string[];
  readonly isEntry: boolean;
}

/** What loads at start (the entry chunk and its static imports) and what loads on demand. */
interface AppBundle {
  readonly start: Chunk[];
  readonly onDemand: Chunk[];
  readonly startBytes: number;
}

let builds = 0;

/**
 * Builds `source` as a user's Vite app would (production build: minified, tree-shaken,
 * chunks split at dynamic imports), with `xstate-checkpoint` resolved from the packed
 * tarball through its exports map.
 */
async function bundle(source: string): Promise<AppBundle> {
  const entry = join(app, `app-${++builds}.js`);
  await writeFile(entry, source);
  const result = await build({
    configFile: false,
    root: app,
    logLevel: 'silent',
    mode: 'production',
    build: {
      write: false,
      minify: true,
      rollupOptions: { input: entry, external: (id) => external.test(id) },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunks: Chunk[] = outputs
    .flatMap((o) => o.output)
    .filter((o): o is Rolldown.OutputChunk => o.type === 'chunk')
    .map((c) => ({
      name: c.fileName,
      gzip: gzipSync(c.code, { level: 9 }).length,
      modules: Object.entries(c.modules).map(([id, m]) => [shortName(id), m.renderedLength] as const),
      imports: c.imports,
      dynamicImports: c.dynamicImports,
      isEntry: c.isEntry,
    }));
  const byName = new Map(chunks.map((c) => [c.name, c]));
  const start = new Set<Chunk>();
  const visit = (c: Chunk | undefined) => {
    if (!c || start.has(c)) return;
    start.add(c);
    for (const name of c.imports) visit(byName.get(name));
  };
  for (const c of chunks) if (c.isEntry) visit(c);
  return {
    start: [...start],
    onDemand: chunks.filter((c) => !start.has(c)),
    startBytes: [...start].reduce((sum, c) => sum + c.gzip, 0),
  };
}

/** A module of the package as its source file, when the source map names it; else the dist chunk. */
function shortName(id: string): string {
  const at = id.indexOf('node_modules/xstate-checkpoint/');
  return at >= 0 ? id.slice(at + 'node_modules/xstate-checkpoint/'.length) : id.slice(id.lastIndexOf('/') + 1);
}

/** The source files a chunk of the package was built from (its source map's `sources`). */
async function sourcesOf(distFile: string): Promise<string> {
  if (!distFile.startsWith('dist/')) return '';
  try {
    const map = JSON.parse(await readFile(join(app, 'node_modules/xstate-checkpoint', `${distFile}.map`), 'utf8')) as {
      sources: string[];
    };
    return map.sources.map((s) => s.replace(/^.*?\/((src|adapters)\/)/, '$1')).join(', ');
  } catch {
    return '';
  }
}

/** Each start module's share of the start bytes (by minified length), largest first, with its sources. */
async function table(title: string, b: AppBundle): Promise<string> {
  const modules = b.start.flatMap((c) => c.modules).filter(([, n]) => n > 0);
  const total = modules.reduce((sum, [, n]) => sum + n, 0);
  const rows = await Promise.all(
    modules
      .sort((x, y) => y[1] - x[1])
      .map(
        async ([id, n]) =>
          `  ${String(Math.round((b.startBytes * n) / total)).padStart(6)} B  ${id}  ${await sourcesOf(id)}`,
      ),
  );
  const later = b.onDemand.map((c) => `  ${String(c.gzip).padStart(6)} B  ${c.name} (on demand)`);
  return [`${title}: ${b.startBytes} B min+gz at start`, ...rows, ...later].join('\n');
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'xsc-size-'));
  const { tarball } = await packPackage(app, { types: false });
  const pkg = join(app, 'node_modules/xstate-checkpoint');
  await mkdir(pkg, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
}, 120_000);

afterAll(async () => {
  if (app) await rm(app, { recursive: true, force: true });
});

const core = `import { persistActor } from 'xstate-checkpoint';`;
const indexedDb = `import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';`;
const localStorage = `import { localStorageAdapter } from 'xstate-checkpoint/adapters/localstorage';`;
const use = (...names: string[]) => `\nconsole.log(${names.join(', ')});\n`;

it('persistActor + indexedDbAdapter load at most the start budget, measured from the packed package', async () => {
  const both = await bundle(`${core}\n${indexedDb}${use('persistActor', 'indexedDbAdapter')}`);
  console.log(await table('persistActor + indexedDbAdapter', both));
  console.log(
    `issue 14 target ${START_TARGET} B; now ${both.startBytes} B (${(both.startBytes / START_TARGET).toFixed(2)}x the target)`,
  );
  expect(both.startBytes).toBeLessThanOrEqual(START_BUDGET);
  // Journal mode, follow mode, history and what only some apps or payloads need are not part of
  // the start bundle: they load with import() when used (src/on-demand.ts).
  const startModules = both.start.flatMap((c) => c.modules.filter(([, n]) => n > 0).map(([id]) => id));
  const onDemand = ['journal', 'follow', 'history', 'replay', 'gzip', 'restore-notice', 'migrate', 'schema'];
  // The rest of taggedJsonCodec, the actor-reference code, the restore fallback, retention,
  // the checks of rarely set options, the write retry, Node's signal hooks, the IndexedDB
  // adapter's seldom-made calls and its lock.
  onDemand.push('codec', 'refs', 'restore-reject', 'retention', 'option-checks', 'save-retry', 'process-hooks');
  onDemand.push('upkeep', 'lock');
  for (const lazy of onDemand) {
    expect(startModules.filter((id) => new RegExp(`(^|[/-])${lazy}[.-]`).test(id))).toEqual([]);
  }
  // By source, not only by chunk name: each lazy part's source file is in an on-demand chunk, and
  // no source file is in both (a lazy module merged into a start chunk under another name).
  const sources = async (ids: string[]) =>
    new Set((await Promise.all(ids.map(sourcesOf))).flatMap((s) => (s ? s.split(', ') : [])));
  const atStart = await sources(startModules);
  const later = await sources(both.onDemand.flatMap((c) => c.modules.map(([id]) => id)));
  expect([...atStart].filter((s) => later.has(s))).toEqual([]);
  const isPart = (lazy: string) => new RegExp(`/${lazy}(\\.ts$|/)`);
  expect(onDemand.filter((lazy) => ![...later].some((s) => isPart(lazy).test(s)))).toEqual([]);
}, 60_000);

it('the IndexedDB adapter adds at most 2.25 KB and the localStorage adapter 2 KB to an app of persistActor', async () => {
  const [alone, withIdb, withLs] = await Promise.all([
    bundle(`${core}${use('persistActor')}`),
    bundle(`${core}\n${indexedDb}${use('persistActor', 'indexedDbAdapter')}`),
    bundle(`${core}\n${localStorage}${use('persistActor', 'localStorageAdapter')}`),
  ]);
  const idb = withIdb.startBytes - alone.startBytes;
  const ls = withLs.startBytes - alone.startBytes;
  console.log(
    `persistActor alone: ${alone.startBytes} B; + indexedDbAdapter adds ${idb} B, + localStorageAdapter ${ls} B`,
  );
  expect(idb).toBeLessThanOrEqual(2.25 * KB);
  expect(ls).toBeLessThanOrEqual(2 * KB);
}, 60_000);

it('the React hook adds little to persistActor + indexedDbAdapter', async () => {
  const base = `${core}\n${indexedDb}`;
  const [without, withHook] = await Promise.all([
    bundle(`${base}${use('persistActor', 'indexedDbAdapter')}`),
    bundle(
      `${base}\nimport { usePersistedActor } from 'xstate-checkpoint/react';${use('persistActor', 'indexedDbAdapter', 'usePersistedActor')}`,
    ),
  ]);
  console.log(`+ usePersistedActor: ${withHook.startBytes} B (adds ${withHook.startBytes - without.startBytes} B)`);
  expect(withHook.startBytes - without.startBytes).toBeLessThanOrEqual(1 * KB);
}, 60_000);
