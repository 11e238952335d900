import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds the package's JavaScript as `npm run build` does into
 * `<folder>/node_modules/xstate-checkpoint` (with its package.json), for the examples that
 * bundle it: run their build with `XSC_PACKAGE_ROOT=<folder>` (examples/package-as-published.ts)
 * and `xstate-checkpoint` resolves there through its exports. `folder` must be inside the
 * repository, so `xstate` and the other dependencies resolve from its node_modules.
 *
 * @example
 * ```ts
 * import { installBuiltPackage } from '../helpers/built-package.js';
 * await installBuiltPackage(`${process.cwd()}/test/.tmp/example`);
 * ```
 */
export async function installBuiltPackage(folder: string): Promise<void> {
  const pkg = `${folder}/node_modules/xstate-checkpoint`;
  await mkdir(pkg, { recursive: true });
  await build({ configFile: `${root}vite.config.ts`, logLevel: 'silent', build: { outDir: `${pkg}/dist` } });
  await copyFile(`${root}package.json`, `${pkg}/package.json`);
}
