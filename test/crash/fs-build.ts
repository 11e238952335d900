import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const child = join(repo, 'test/crash/fs-child.ts');

/**
 * Transpiles `test/crash/fs-child.ts` and every module it imports (relative
 * imports only: the fs adapter and the core's envelope) into `outDir`, keeping
 * the repository layout so relative imports still resolve. Child processes
 * then start with plain `node` (about 0.1 s) instead of through tsx (about
 * 0.7 s), which is what makes 1,000 kills affordable in `npm test`.
 *
 * @example
 * ```ts
 * import { buildChild } from './fs-build.js';
 * const entry = await buildChild('/tmp/xsc-child');
 * ```
 */
export async function buildChild(outDir: string): Promise<string> {
  const seen = new Set<string>();
  const queue = [child];
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
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = join(outDir, relative(repo, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return join(outDir, 'test/crash/fs-child.js');
}
