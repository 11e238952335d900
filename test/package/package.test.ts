import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { entries } from '../../vite.config.js';
import { repoRoot, stagePackage, type StagedPackage } from './stage.js';

const run = promisify(execFile);

interface ExportTarget {
  readonly types: string;
  readonly import: string;
}
interface PackageJson {
  readonly name: string;
  readonly exports: Record<string, ExportTarget | string>;
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
/** Where the test aliases (and so the source layout) put an entry of a given public subpath. */
function sourceOf(subpath: string): string {
  if (subpath === '.') return 'src/index.ts';
  if (subpath.startsWith('./adapters/')) return `${subpath.slice(2)}.ts`;
  return `src/entries/${subpath.slice(2)}.ts`;
}

let staged: StagedPackage;
let pkg: PackageJson;

beforeAll(async () => {
  staged = await stagePackage();
  pkg = JSON.parse(await readFile(join(staged.dir, 'package.json'), 'utf8')) as PackageJson;
}, 240_000);
afterAll(async () => {
  await staged?.remove();
});

const exists = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

describe('the built package', () => {
  it('is clean under publint (strict: warnings count)', async () => {
    const tar = await readFile(staged.tarball);
    // The tarball is what ships: publint unpacks it and lints exactly those files.
    const { messages, pkg: linted } = await publint({
      pack: { tarball: tar.buffer.slice(tar.byteOffset, tar.byteOffset + tar.byteLength) },
      strict: true,
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, linted) ?? m.code}`)).toEqual([]);
  });

  it('has types that resolve for every entry under node16 ESM and bundlers (attw, esm-only profile)', async () => {
    const attw = join(repoRoot, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const result = await run(process.execPath, [attw, staged.tarball, '--profile', 'esm-only', '--format', 'json'], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code }));
    const report = JSON.parse(result.stdout) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems?: Record<string, Array<{ kind: string; entrypoint?: string; resolutionKind?: string }>>;
    };
    // The package is ESM only: CommonJS and node10 resolution are out of scope (that is the esm-only profile).
    const problems = Object.values(report.problems ?? {})
      .flat()
      .filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs')
      .map((p) => `${p.kind} ${p.entrypoint ?? ''} (${p.resolutionKind ?? 'any'})`);
    expect(problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(Object.keys(pkg.exports).sort());
    expect('code' in result ? result.code : 0).toBeFalsy();
  }, 120_000);

  it('has an export for every build entry, pointing at the emitted JavaScript and declarations', async () => {
    const expected: Record<string, ExportTarget> = {};
    for (const [entry, source] of Object.entries(entries)) {
      if (binEntries.has(entry)) continue;
      const subpath = subpathOf(entry);
      expect(source, `${entry} follows the public-name layout`).toBe(sourceOf(subpath));
      expected[subpath] = { types: `./dist/${source.replace(/\.ts$/, '.d.ts')}`, import: `./dist/${entry}.js` };
    }
    const actual = Object.fromEntries(Object.entries(pkg.exports).filter(([s]) => s !== './package.json'));
    expect(actual).toEqual(expected);
    for (const target of Object.values(expected)) {
      expect(await exists(join(staged.dir, target.types)), target.types).toBe(true);
      expect(await exists(join(staged.dir, target.import)), target.import).toBe(true);
    }
    expect(pkg.exports['./package.json']).toBe('./package.json');
  });

  it('declares the CLI as a bin that the build emits as an executable script that runs', async () => {
    expect(Object.keys(entries).filter((e) => binEntries.has(e))).toEqual(['cli']);
    expect(pkg.bin).toEqual({ 'xstate-checkpoint': './dist/cli.js' });
    const bin = join(staged.dir, 'dist/cli.js');
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect((await stat(bin)).mode & 0o111).not.toBe(0);

    const dir = await mkdtemp(join(tmpdir(), 'xsc-bin-'));
    try {
      const adapter = fileAdapter({ dir });
      const machine = createMachine({ id: 'smoke', context: { n: 1 } });
      await (await persistActor(machine, { key: 'smoke-1', adapter, flushOnExit: false })).close();
      await adapter.dispose();
      // Started as a script (shebang + executable bit), as npm's bin link starts it.
      const ls = await run(bin, ['ls', '--dir', dir, '--json']);
      expect(JSON.parse(ls.stdout)).toMatchObject({ keys: [{ key: 'smoke-1' }] });
      const verify = await run(process.execPath, [bin, 'verify', '--dir', dir]);
      expect(verify.stdout).toContain('1 key, 1 generation: 1 ok, 0 problems');
      const usage = await run(process.execPath, [bin, 'nonsense']).catch((error: { code: number }) => error);
      expect(usage).toMatchObject({ code: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('imports every entry in plain Node without touching a DOM global', async () => {
    const specs = Object.keys(entries)
      .filter((e) => !binEntries.has(e))
      .map((e) => (e === 'index' ? pkg.name : `${pkg.name}/${e}`));
    const probe = join(staged.dir, 'probe.mjs');
    await writeFile(
      probe,
      `const names = ['window', 'document', 'indexedDB', 'localStorage', 'sessionStorage', 'navigator', 'location',
  'self', 'IDBKeyRange', 'Storage', 'HTMLElement', 'customElements', 'matchMedia'];
const touched = {};
let current = '(none)';
for (const name of names) {
  const had = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      (touched[current] ??= []).push(name);
      return had === undefined ? undefined : had.get ? had.get.call(globalThis) : had.value;
    },
  });
}
const failed = {};
for (const spec of ${JSON.stringify(specs)}) {
  current = spec;
  try {
    const mod = await import(spec);
    if (Object.keys(mod).length === 0) failed[spec] = 'no exports';
  } catch (error) {
    failed[spec] = String(error && error.stack || error);
  }
}
// The trap itself must work, or this test could not fail.
current = '(self-check)';
void globalThis.document;
process.stdout.write(JSON.stringify({ touched, failed }));
`,
    );
    const { stdout } = await run(process.execPath, [probe], { cwd: staged.dir });
    const result = JSON.parse(stdout) as { touched: Record<string, string[]>; failed: Record<string, string> };
    expect(result.failed).toEqual({});
    expect(result.touched['(self-check)']).toEqual(['document']);
    delete result.touched['(self-check)'];
    expect(result.touched).toEqual({});
  });

  it('keeps node:* and Node built-ins out of the core and every browser entry (whole import graph)', async () => {
    const checked: string[] = [];
    for (const entry of Object.keys(entries)) {
      if (nodeOnly.has(entry)) continue;
      expect(await builtinImports(entry), entry).toEqual([]);
      checked.push(entry);
    }
    expect(checked).toContain('index');
    // The scan finds them where they belong, or it could not fail.
    expect(await builtinImports('adapters/fs')).not.toEqual([]);
  });
});

/** Node built-ins imported anywhere in the static and dynamic import graph of a built entry. */
async function builtinImports(entry: string): Promise<string[]> {
  const offenders: string[] = [];
  const seen = new Set<string>();
  const queue = [join(staged.dir, 'dist', `${entry}.js`)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    // Comments go first: TSDoc examples kept in the build show Node imports.
    const code = (await readFile(file, 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (builtins.has(spec)) offenders.push(`${file.slice(staged.dir.length + 1)} imports ${spec}`);
    }
  }
  return offenders;
}
