// The layering rules of docs/ARCHITECTURE (the shape every change keeps), checked on the import
// statements of src/, adapters/ and cli/: the core never imports Node, adapters or the CLI;
// adapters use the core only through the modules its public kit entries re-export; no circles.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './install.js';

interface Import {
  /** The specifier as written. */
  readonly spec: string;
  /** Repository path of the module a relative specifier names (`src/keys.ts`). */
  readonly target: string | undefined;
}

async function sources(folder: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, folder), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => relative(repoRoot, join(e.parentPath, e.name)))
    .sort();
}

/** Static imports and re-exports of a module (type-only ones too: a circle of types is still a circle to read). */
function importsOf(file: string, text: string): Import[] {
  // Comments hold TSDoc examples, whose imports are not the module's.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map((m) => {
    const spec = (m[1] ?? m[2])!;
    const target = spec.startsWith('.')
      ? relative(repoRoot, resolve(repoRoot, dirname(file), spec)).replace(/\.js$/, '.ts')
      : undefined;
    return { spec, target };
  });
}

async function graph(): Promise<Map<string, Import[]>> {
  const files = [...(await sources('src')), ...(await sources('adapters')), ...(await sources('cli'))];
  const out = new Map<string, Import[]>();
  for (const file of files) out.set(file, importsOf(file, await readFile(join(repoRoot, file), 'utf8')));
  return out;
}

/** Every import circle, each once, as `a -> b -> a`. */
function circles(modules: Map<string, Import[]>): string[] {
  const found = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    state.set(file, 'open');
    path.push(file);
    for (const { target } of modules.get(file) ?? []) {
      if (target === undefined || !modules.has(target)) continue;
      if (state.get(target) === 'open') {
        const loop = path.slice(path.indexOf(target));
        // One name per circle whichever module the walk entered it by: start at its smallest path.
        const start = loop.indexOf([...loop].sort()[0]!);
        found.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' -> '));
      } else if (!state.has(target)) visit(target, path);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of modules.keys()) if (!state.has(file)) visit(file, []);
  return [...found].sort();
}

// Known and owned elsewhere: remove the line when it is gone (the test then insists).
const KNOWN_CIRCLES = ['src/codec/index.ts -> src/codec/untrusted.ts -> src/codec/index.ts'];

it('has no import circles in src/, adapters/ and cli/ (type-only imports included)', async () => {
  const found = circles(await graph());
  expect(found.filter((c) => !KNOWN_CIRCLES.includes(c))).toEqual([]);
  expect(
    KNOWN_CIRCLES.filter((c) => !found.includes(c)),
    'known circles that are gone',
  ).toEqual([]);
});

it('finds a circle when there is one (the check can fail)', () => {
  const modules = new Map<string, Import[]>([
    ['a.ts', [{ spec: './b.js', target: 'b.ts' }]],
    ['b.ts', [{ spec: './a.js', target: 'a.ts' }]],
  ]);
  expect(circles(modules)).toEqual(['a.ts -> b.ts -> a.ts']);
});

it('keeps the core free of Node built-ins, adapters and the CLI', async () => {
  const offending: string[] = [];
  for (const [file, imports] of await graph()) {
    if (!file.startsWith('src/')) continue;
    for (const { spec, target } of imports) {
      const bad =
        spec.startsWith('node:') ||
        spec.startsWith('xstate-checkpoint') ||
        target?.startsWith('adapters/') === true ||
        target?.startsWith('cli/') === true;
      if (bad) offending.push(`${file}: ${spec}`);
    }
  }
  expect(offending).toEqual([]);
});

it('lets adapters use the core only through what /adapter-kit and /journal re-export', async () => {
  const modules = await graph();
  const kit = new Set<string>();
  for (const entry of ['src/entries/adapter-kit.ts', 'src/entries/journal.ts']) {
    for (const { target } of modules.get(entry) ?? []) if (target) kit.add(target);
  }
  expect(kit).toContain('src/read-newest.ts');
  const offending: string[] = [];
  for (const [file, imports] of modules) {
    if (!file.startsWith('adapters/')) continue;
    for (const { spec, target } of imports) {
      if (target?.startsWith('src/') && !kit.has(target)) offending.push(`${file}: ${spec}`);
      if (target?.startsWith('cli/')) offending.push(`${file}: ${spec}`);
    }
  }
  expect(offending).toEqual([]);
});
