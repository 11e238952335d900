import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { repoRoot } from './install.js';

// Every ```ts / ```tsx block of the README and of the docs is type-checked (strict, the repo's own
// tsconfig, whose `paths` map `xstate-checkpoint` and its subpaths to the sources).
// A block that is a fragment on purpose is marked by `<!-- snippet: skip -->` on the
// line before it. Modules the snippets import from the app itself ('./checkout-machine')
// are the fixtures below.

const DOCS = ['README.md', 'docs/adapters.md', 'docs/durable-work.md', 'docs/journal.md'];

/** App modules that README snippets import, written next to them. */
const FIXTURES: Record<string, string> = {
  'order-machine.ts': `import { createMachine } from 'xstate';

export const orderMachine = createMachine({ id: 'order' });
`,
  'checkout-machine.ts': `import { assign, setup } from 'xstate';

export const checkoutMachine = setup({
  types: { context: {} as { items: string[] }, events: {} as { type: 'ADD'; item: string } },
}).createMachine({
  id: 'checkout',
  context: { items: [] },
  on: { ADD: { actions: assign({ items: ({ context, event }) => [...context.items, event.item] }) } },
});
`,
};

interface Snippet {
  /** Where it starts in its document: `README.md:53`. */
  readonly at: string;
  readonly lang: 'ts' | 'tsx';
  readonly code: string;
}

/** The ```ts and ```tsx blocks of a markdown text, without those marked `<!-- snippet: skip -->`. */
function extractSnippets(doc: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|tsx)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    if (i === lines.length) throw new Error(`${doc}:${start + 1}: the code block is never closed`);
    const before = lines.slice(0, start).findLast((line) => line.trim() !== '');
    if (before?.trim() === '<!-- snippet: skip -->') continue;
    snippets.push({ at: `${doc}:${start + 1}`, lang: open[1] as 'ts' | 'tsx', code: body.join('\n') });
  }
  return snippets;
}

/** Type-checks snippets as one program with the repo's compiler options; one line per diagnostic. */
async function typeCheck(snippets: readonly Snippet[]): Promise<string[]> {
  // Inside the repo, so that its package.json (ESM) and node_modules apply as to any source file.
  const dir = join(repoRoot, 'test', '.tmp', `snippets-${process.pid}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  try {
    for (const [name, code] of Object.entries(FIXTURES)) await writeFile(join(dir, name), code);
    const files = new Map<string, Snippet>();
    for (const [n, snippet] of snippets.entries()) {
      // `export {}` keeps a snippet without imports a module, so snippets never share names.
      const file = join(dir, `snippet-${n}.${snippet.lang}`);
      await writeFile(file, `${snippet.code}\nexport {};\n`);
      files.set(file, snippet);
    }
    const configPath = join(repoRoot, 'tsconfig.json');
    const { config, error } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot, undefined, configPath);
    const program = ts.createProgram([...files.keys()], { ...options, noEmit: true });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file) return message;
      const snippet = files.get(d.file.fileName);
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      const where = snippet
        ? `${snippet.at.replace(/\d+$/, (open) => String(Number(open) + 1 + line))}`
        : relative(repoRoot, d.file.fileName);
      return `${where}: ${message}`;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it('extracts ts and tsx blocks and honours the skip marker', () => {
  const text = [
    '```ts',
    'const a = 1;',
    '```',
    '```sh',
    'npm i',
    '```',
    '<!-- snippet: skip -->',
    '',
    '```ts',
    'partial(',
    '```',
    '```tsx',
    'const b = <p />;',
    '```',
  ].join('\n');
  expect(extractSnippets('X.md', text)).toEqual([
    { at: 'X.md:1', lang: 'ts', code: 'const a = 1;' },
    { at: 'X.md:12', lang: 'tsx', code: 'const b = <p />;' },
  ]);
});

it('every TypeScript snippet of the README compiles (strict, against the sources)', async () => {
  const snippets: Snippet[] = [];
  for (const doc of DOCS) snippets.push(...extractSnippets(doc, await readFile(join(repoRoot, doc), 'utf8')));
  expect(snippets.length).toBeGreaterThanOrEqual(4);
  // In the same program, one snippet that must fail: the check can fail, and names the line.
  const broken = [
    '// a wrong argument on line 3',
    "import { persistActor } from 'xstate-checkpoint';",
    'void persistActor(1);',
  ];
  const errors = await typeCheck([...snippets, { at: 'self-check:1', lang: 'ts', code: broken.join('\n') }]);
  const [own, others] = [
    errors.filter((e) => e.startsWith('self-check:4: ')),
    errors.filter((e) => !e.startsWith('self-check:')),
  ];
  expect(own.length).toBe(1);
  expect(others).toEqual([]);
}, 120_000);
