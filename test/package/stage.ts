import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A built, packed copy of the package, as `npm publish` would ship it. */
export interface StagedPackage {
  /** Folder holding `package.json`, `README.md` and `dist/` (the output of `npm run build`). */
  readonly dir: string;
  /** The `npm pack` tarball of {@link dir}. */
  readonly tarball: string;
  /** Removes the folder. */
  remove(): Promise<void>;
}

/**
 * Runs the two steps of `npm run build` (`vite build` and `tsc -p tsconfig.build.json`)
 * into a private folder, so the repository's own `dist/` (and anyone using it) is
 * left alone, then packs it. The folder lives under the repository, so the
 * built files resolve `xstate`, `pg`, ... from its `node_modules`.
 *
 * @example
 * ```ts
 * import { stagePackage } from './stage.js';
 * const staged = await stagePackage();
 * await staged.remove();
 * ```
 */
export async function stagePackage(): Promise<StagedPackage> {
  const dir = join(repoRoot, 'test/.tmp', `package-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'dist'), { recursive: true });
  const node = process.execPath;
  const options = { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 };
  // The folder is new and empty, so both steps can write into it at once.
  await Promise.all([
    run(node, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', join(dir, 'dist')], options),
    run(
      node,
      [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')],
      options,
    ),
  ]);
  await copyFile(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  await copyFile(join(repoRoot, 'README.md'), join(dir, 'README.md'));
  await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: dir });
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${dir}`);
  return { dir, tarball: join(dir, tarball), remove: () => rm(dir, { recursive: true, force: true }) };
}
