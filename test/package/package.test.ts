import { execFile, spawn } from 'node:child_process';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { build, type Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entries } from '../../vite.config.js';
import { postgresAvailable, pgUrl, redisAvailable, redisUrl } from '../server/support.js';
import { installPackage, OLDEST_XSTATE, repoRoot, type InstalledPackage } from './install.js';

const run = promisify(execFile);

interface ExportTarget {
  readonly types: string;
  readonly default: string;
}
interface PackageJson {
  readonly name: string;
  readonly types: string;
  readonly exports: Record<string, ExportTarget | string>;
  readonly typesVersions: Record<string, Record<string, string[]>>;
  readonly peerDependencies: Record<string, string>;
  readonly bin?: Record<string, string>;
}

// Entries that are Node-only by design; every other entry must load in a browser.
const nodeOnly = new Set([
  'adapters/fs',
  'adapters/fs-journal',
  'adapters/postgres',
  'adapters/postgres-journal',
  'adapters/redis',
  'cli',
]);
// The bin is an entry of the build but not of the exports map.
const binEntries = new Set(['cli']);
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The public specifier of a build entry (`index` → `xstate-checkpoint`, `adapters/fs` → `xstate-checkpoint/adapters/fs`). */
const subpathOf = (entry: string) => (entry === 'index' ? '.' : `./${entry}`);
/**
 * Where the test aliases (and so the source layout) put an entry of a given public subpath: an
 * adapter is a folder, `adapters/<name>` its `index.ts` and `adapters/<name>-journal` its `journal.ts`.
 */
function sourceOf(subpath: string): string {
  if (subpath === '.') return 'src/index.ts';
  if (subpath.startsWith('./adapters/')) {
    const name = subpath.slice('./adapters/'.length);
    return name.endsWith('-journal')
      ? `adapters/${name.slice(0, -'-journal'.length)}/journal.ts`
      : `adapters/${name}/index.ts`;
  }
  return `src/entries/${subpath.slice(2)}.ts`;
}

let installed: InstalledPackage;
let pkg: PackageJson;
/** Every specifier of the exports map, as an app writes it. */
let specifiers: string[];
const inPackage = (path: string) => join(installed.dir, 'node_modules/xstate-checkpoint', path);

beforeAll(async () => {
  installed = await installPackage();
  pkg = JSON.parse(await readFile(inPackage('package.json'), 'utf8')) as PackageJson;
  specifiers = Object.keys(pkg.exports)
    .filter((s) => s !== './package.json')
    .map((s) => (s === '.' ? pkg.name : `${pkg.name}/${s.slice(2)}`));
  const kb = (installed.files.reduce((n, f) => n + f.size, 0) / 1024).toFixed(0);
  const tgz = ((await stat(installed.tarball)).size / 1024).toFixed(0);
  const { build, pack, install } = installed.seconds;
  console.log(
    `packed: ${installed.files.length} files, ${kb} KB unpacked, ${tgz} KB tarball (build ${build} s, pack ${pack} s, install ${install} s)`,
  );
}, 240_000);
afterAll(async () => {
  await installed?.remove();
});

/** Runs a fixture of test/package/consumer/ with plain Node in the consumer folder and parses its JSON line. */
async function node<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const { stdout } = await run(process.execPath, args, {
    cwd: installed.dir,
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}

const exists = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

describe('the packed tarball', () => {
  it('ships the build, package.json, README, LICENSE and docs, and no TypeScript sources', () => {
    const paths = installed.files.map((f) => f.path);
    expect(paths.filter((p) => !p.startsWith('dist/')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'docs/adapters.md',
      'docs/benchmarks.md',
      'docs/benchmarks.svg',
      'docs/durable-work.md',
      'docs/format.md',
      'docs/journal.md',
      'docs/recovery.md',
      'package.json',
    ]);
    // Raw .ts next to the build made node10 consumers compile (and fail on) them.
    expect(paths.filter((p) => /(?<!\.d)\.tsx?$/.test(p))).toEqual([]);
    expect(paths).toContain('dist/index.js');
  });

  it('resolves every relative link of its README and docs inside the package, but those it says are in the repository', async () => {
    // Links into the examples, the tests and the screenshots point at the source repository; the text says so.
    const repositoryOnly = /^(\.\.\/)?(examples|test|docs\/studio)\//;
    const pages = installed.files.map((f) => f.path).filter((p) => p.endsWith('.md'));
    const broken: string[] = [];
    for (const page of pages) {
      const text = await readFile(inPackage(page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!) || repositoryOnly.test(target!)) continue;
        const path = join(page, '..', target!);
        if (
          !(await stat(inPackage(path)).then(
            () => true,
            () => false,
          ))
        )
          broken.push(`${page}: ${target}`);
      }
      const outside = [...text.matchAll(/\]\(([^)#\s]+)/g)].map(([, t]) => t!).filter((t) => repositoryOnly.test(t));
      if (outside.length > 0)
        expect(text, `${page} links into the repository without saying so`).toMatch(/source repository/);
    }
    expect(broken).toEqual([]);
  });

  it('packs the file set npm packs from the repository', async () => {
    // From the repository root, as `npm publish` would (dry run: the repository's dist/ may be stale or absent).
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot });
    const [fromRepo] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const outsideDist = (paths: string[]) => paths.filter((p) => !p.startsWith('dist/')).sort();
    expect(outsideDist(installed.files.map((f) => f.path))).toEqual(outsideDist(fromRepo!.files.map((f) => f.path)));
  });

  it('carries every source in its source maps (sourcesContent), since it ships no sources', async () => {
    const maps = installed.files.filter((f) => f.path.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const { path } of maps) {
      const map = JSON.parse(await readFile(inPackage(path), 'utf8')) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(map.sourcesContent?.length, path).toBe(map.sources.length);
      expect(
        map.sourcesContent?.every((s) => typeof s === 'string' && s.length > 0),
        path,
      ).toBe(true);
    }
  });

  it('is clean under publint (strict: warnings count)', async () => {
    const tar = await readFile(installed.tarball);
    const { messages, pkg: linted } = await publint({
      pack: { tarball: tar.buffer.slice(tar.byteOffset, tar.byteOffset + tar.byteLength) },
      strict: true,
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, linted) ?? m.code}`)).toEqual([]);
  });

  it('has types for every entry under node10, node16 and bundler resolution (attw)', async () => {
    const attw = join(repoRoot, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    // Into a file: the CLI exits before a pipe drains, which cuts its JSON at 64 KB.
    const out = join(installed.dir, 'attw.json');
    const file = await open(out, 'w');
    // Its exit code is 1 for any finding, the expected one included: the findings are the check.
    await new Promise<unknown>((done, fail) => {
      const child = spawn(process.execPath, [attw, installed.tarball, '--format', 'json'], {
        stdio: ['ignore', file.fd, 'inherit'],
      });
      child.on('error', fail).on('exit', done);
    }).finally(() => file.close());
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems?: Record<string, Array<{ kind: string; entrypoint?: string; resolutionKind?: string }>>;
    };
    // The one expected finding: the package is ESM, so TypeScript's `module: node16` rejects a CommonJS
    // require() of it. Node 20.19+ loads it (tested below), and so does TypeScript's `module: nodenext`.
    const problems = Object.values(report.problems ?? {})
      .flat()
      .filter((p) => !(p.kind === 'CJSResolvesToESM' && p.resolutionKind === 'node16-cjs'))
      .map((p) => `${p.kind} ${p.entrypoint ?? ''} (${p.resolutionKind ?? 'any'})`);
    expect(problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(Object.keys(pkg.exports).sort());
  }, 120_000);

  it('has an export for every build entry, pointing at the emitted JavaScript and declarations', async () => {
    const expected: Record<string, ExportTarget> = {};
    for (const [entry, source] of Object.entries(entries)) {
      if (binEntries.has(entry)) continue;
      const subpath = subpathOf(entry);
      expect(source, `${entry} follows the public-name layout`).toBe(sourceOf(subpath));
      expected[subpath] = { types: `./dist/${source.replace(/\.ts$/, '.d.ts')}`, default: `./dist/${entry}.js` };
    }
    const actual = Object.fromEntries(Object.entries(pkg.exports).filter(([s]) => s !== './package.json'));
    expect(actual).toEqual(expected);
    for (const target of Object.values(expected)) {
      expect(await exists(inPackage(target.types)), target.types).toBe(true);
      expect(await exists(inPackage(target.default)), target.default).toBe(true);
    }
    expect(pkg.exports['./package.json']).toBe('./package.json');
    expect(pkg.types).toBe(expected['.']!.types);
  });

  it('maps every subpath to its declarations for node10 resolution (typesVersions)', () => {
    const map = pkg.typesVersions['*']!;
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string' || subpath === '.') continue;
      const name = subpath.slice(2);
      const direct = map[name];
      const pattern = name.startsWith('adapters/')
        ? map['adapters/*']?.map((t) => t.replace('*', name.slice(9)))
        : undefined;
      expect(direct ?? pattern, subpath).toEqual([target.types]);
    }
  });

  it('admits xstate from the oldest release the round trip below proves', () => {
    expect(pkg.peerDependencies.xstate).toBe(`^${OLDEST_XSTATE}`);
    expect(pkg.peerDependencies).not.toHaveProperty('@xstate/react');
  });
});

describe('installed in a clean folder', () => {
  it('imports every subpath of the exports map in plain Node without touching a DOM global', async () => {
    const result = await node<{
      touched: Record<string, string[]>;
      failed: Record<string, string>;
      exported: Record<string, number>;
    }>(['probe.mjs', ...specifiers]);
    expect(result.failed).toEqual({});
    expect(Object.keys(result.exported).sort()).toEqual([...specifiers].sort());
    for (const spec of specifiers) expect(result.exported[spec], spec).toBeGreaterThan(0);
    expect(result.touched['(self-check)']).toEqual(['document']);
    delete result.touched['(self-check)'];
    expect(result.touched).toEqual({});
  });

  it('loads every subpath with require() from a CommonJS file, and saves and restores through it', async () => {
    const result = await node<{
      failed: Record<string, string>;
      exported: Record<string, number>;
      count: number;
      source: string;
    }>(['require.cjs', ...specifiers]);
    expect(result.failed).toEqual({});
    for (const spec of specifiers) expect(result.exported[spec], spec).toBeGreaterThan(0);
    expect(result).toMatchObject({ count: 1, source: 'checkpoint' });
  });

  const expectedRoundTrip = {
    source: 'checkpoint',
    rejected: 0,
    timersRestored: 1,
    state: 'paying',
    count: 2,
    at: '2023-11-14T22:13:20.000Z',
    tags: ['t0', 't1'],
    childPings: 2,
    after: 'paid',
  };
  /** The servers the round trip also uses: in CI both must answer (the helpers throw there), elsewhere those that do. */
  async function services(): Promise<Record<string, string>> {
    const [pg, redis] = await Promise.all([postgresAvailable(), redisAvailable()]);
    return { ...(pg ? { XSC_RT_PG_URL: pgUrl() } : {}), ...(redis ? { XSC_RT_REDIS_URL: redisUrl() } : {}) };
  }
  const adaptersFor = (env: Record<string, string>) => [
    'memory',
    'fs',
    'indexeddb',
    ...('XSC_RT_PG_URL' in env ? ['postgres'] : []),
    ...('XSC_RT_REDIS_URL' in env ? ['redis'] : []),
  ];

  it('saves and restores (context with a Date and a Set, a child, a pending delay) on every adapter', async () => {
    const env = await services();
    const { xstate, results } = await node<{ xstate: string; results: Record<string, unknown> }>(
      ['roundtrip.mjs'],
      env,
    );
    expect(xstate).toBe(JSON.parse(await readFile(join(repoRoot, 'node_modules/xstate/package.json'), 'utf8')).version);
    expect(Object.keys(results)).toEqual(adaptersFor(env));
    for (const [adapter, seen] of Object.entries(results)) expect(seen, adapter).toEqual(expectedRoundTrip);
  });

  it(`does the same on xstate ${OLDEST_XSTATE}, the oldest release the peer range admits`, async () => {
    const env = await services();
    const { xstate, results } = await node<{ xstate: string; results: Record<string, unknown> }>(
      ['--import', './oldest-xstate.mjs', 'roundtrip.mjs'],
      env,
    );
    expect(xstate).toBe(OLDEST_XSTATE);
    expect(Object.keys(results)).toEqual(adaptersFor(env));
    for (const [adapter, seen] of Object.entries(results)) expect(seen, adapter).toEqual(expectedRoundTrip);
  });

  it('type-checks a strict TypeScript consumer under nodenext, bundler and node10 resolution', async () => {
    // Every subpath once, so a declaration that does not resolve under some resolution fails here.
    await writeFile(
      join(installed.dir, 'entries.ts'),
      `${specifiers.map((s, i) => `import * as e${i} from '${s}';`).join('\n')}\nexport const all = [${specifiers.map((_, i) => `e${i}`).join(', ')}];\n`,
    );
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    const configs = ['tsconfig.nodenext.json', 'tsconfig.bundler.json', 'tsconfig.node10.json'];
    const outcomes = await Promise.all(
      configs.map((config) =>
        run(process.execPath, [tsc, '-p', config], { cwd: installed.dir }).then(
          () => 'ok',
          (error: Error & { stdout?: string }) => error.stdout || error.message,
        ),
      ),
    );
    expect(Object.fromEntries(configs.map((c, i) => [c, outcomes[i]]))).toEqual(
      Object.fromEntries(configs.map((c) => [c, 'ok'])),
    );
  }, 240_000);

  /** Bundles `source` for the browser from the consumer folder with Vite; rejects on any Node built-in import. */
  async function bundleForBrowser(source: string): Promise<void> {
    const entry = join(installed.dir, `browser-${Math.random().toString(36).slice(2)}.js`);
    await writeFile(entry, source);
    const noNode: Plugin = {
      name: 'no-node-builtins',
      enforce: 'pre',
      resolveId(id, importer) {
        if (builtins.has(id)) this.error(`${importer ?? '(entry)'} imports ${id}, a Node built-in`);
        return null;
      },
    };
    await build({
      configFile: false,
      root: installed.dir,
      logLevel: 'silent',
      plugins: [noNode],
      build: { write: false, minify: false, lib: { entry, formats: ['es'], fileName: 'browser' } },
    });
  }

  it('bundles every browser entry with Vite from the installed package without a Node built-in', async () => {
    const browser = specifiers.filter((s) => !nodeOnly.has(s.slice(pkg.name.length + 1)));
    expect(browser).toContain(pkg.name);
    expect(browser).toContain(`${pkg.name}/adapters/indexeddb`);
    await bundleForBrowser(browser.map((s, i) => `export * as e${i} from '${s}';`).join('\n'));
    // The check can fail: a Node-only entry is refused.
    await expect(bundleForBrowser(`export * from '${pkg.name}/adapters/fs';`)).rejects.toThrow(/node:/);
  }, 60_000);

  it('runs the CLI through the bin link npm made', async () => {
    expect(Object.keys(entries).filter((e) => binEntries.has(e))).toEqual(['cli']);
    expect(pkg.bin).toEqual({ 'xstate-checkpoint': './dist/cli.js' });
    const bin = inPackage('dist/cli.js');
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect((await stat(bin)).mode & 0o111).not.toBe(0);
    await node<unknown>(['cli-state.mjs']);
    // Started as a script (shebang + executable bit), as a user's shell starts it.
    const link = join(installed.dir, 'node_modules/.bin/xstate-checkpoint');
    const ls = await run(link, ['ls', '--dir', join(installed.dir, 'state'), '--json'], { cwd: installed.dir });
    expect(JSON.parse(ls.stdout)).toMatchObject({ keys: [{ key: 'smoke-1' }] });
    const verify = await run(link, ['verify', '--dir', join(installed.dir, 'state')], { cwd: installed.dir });
    expect(verify.stdout).toContain('1 key, 1 generation: 1 ok, 0 problems');
    const usage = await run(link, ['nonsense']).catch((error: { code: number }) => error);
    expect(usage).toMatchObject({ code: 2 });
  });

  it('serves the studio page, its assets and its API from the installed package (`studio --dir`)', async () => {
    if (!(await stat(join(installed.dir, 'state')).catch(() => undefined))) await node<unknown>(['cli-state.mjs']);
    const link = join(installed.dir, 'node_modules/.bin/xstate-checkpoint');
    const child = spawn(link, ['studio', '--dir', './state'], {
      cwd: installed.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let printed = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          printed += d;
          const match = /open (http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/)/.exec(printed);
          if (match) resolve(match[1]!);
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => (printed += d));
        void exited.then((code) => reject(new Error(`studio exited (${code}): ${printed}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
      expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
      expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
      for (const asset of assets) {
        const res = await fetch(`${url}${asset}`);
        expect(res.status, asset).toBe(200);
        expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(1000);
      }
      expect(await (await fetch(`${url}api/keys`)).json()).toMatchObject({ total: 1, rows: [{ key: 'smoke-1' }] });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('imports nothing of bullmq (an optional peer) from any file of the build', async () => {
    const files = installed.files.filter((f) => f.path.endsWith('.js')).map((f) => f.path);
    expect(files).toContain('dist/bullmq.js');
    for (const file of files) {
      const text = await readFile(inPackage(file), 'utf8');
      // Statements only: the TSDoc examples kept in the build do `import { Worker } from 'bullmq'`.
      expect(text, file).not.toMatch(/^\s*(?:import|export)\b[^\n]*\bfrom\s*['"]bullmq['"]/m);
      expect(text, file).not.toMatch(/\b(?:import|require)\s*\(\s*['"]bullmq['"]\s*\)/);
    }
  });
});
