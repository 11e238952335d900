import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Transpiles `entry` and every module it reaches through relative imports
 * into `outDir`, keeping the repository layout, so the child starts with
 * plain `node` (a fraction of a second) instead of through tsx (seconds on
 * a loaded machine), which keeps a thousand kills affordable. Bare imports
 * (`xstate`) resolve from the repository's node_modules through a symlink.
 *
 * @example
 * ```ts
 * import { transpileTree } from './kill-build.js';
 * const child = await transpileTree('test/journal/kill-child.ts', '/tmp/xsc-journal-child');
 * ```
 */
export async function transpileTree(entry: string, outDir: string): Promise<string> {
  const first = resolve(repo, entry);
  const seen = new Set<string>();
  const queue = [first];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const match of source.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      queue.push(resolve(dirname(file), `${match[1]!}.ts`));
    }
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const out = join(outDir, relative(repo, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  const { symlink } = await import('node:fs/promises');
  await symlink(join(repo, 'node_modules'), join(outDir, 'node_modules'), 'dir').catch(() => undefined);
  return join(outDir, relative(repo, first)).replace(/\.ts$/, '.js');
}
