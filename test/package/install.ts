import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The oldest xstate release the peer range admits; the clean install runs the round trip against it too. */
export const OLDEST_XSTATE = '5.19.3';

/**
 * What the consumer folder installs beside the tarball and every peer dependency (so each entry can load):
 * the IndexedDB stand-in for the round trip and the type packages a TypeScript app of each kind has.
 */
const consumerExtras = ['fake-indexeddb', '@types/node', '@types/pg', '@types/react'] as const;

/** The package as a user installs it: the `npm pack` tarball, installed into an empty folder outside the repository. */
export interface InstalledPackage {
  /** The consumer folder (in the OS temp folder), holding `node_modules/xstate-checkpoint` and the fixtures. */
  readonly dir: string;
  /** The tarball `npm pack` wrote. */
  readonly tarball: string;
  /** The files in the tarball (`package/...`), with their sizes. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number }>;
  /** Seconds each step took (build, pack, install). */
  readonly seconds: Readonly<Record<'build' | 'pack' | 'install', number>>;
  /** Removes the consumer and staging folders. */
  remove(): Promise<void>;
}

const versionIn = async (name: string) =>
  (JSON.parse(await readFile(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

/** The package as `npm pack` wrote it. */
export interface PackedPackage {
  /** The tarball's path (inside `dir`). */
  readonly tarball: string;
  /** The tarball's file name (`xstate-checkpoint-<version>.tgz`). */
  readonly filename: string;
  /** The files in the tarball (`package/...`), with their sizes. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number }>;
  /** Seconds each step took. */
  readonly seconds: Readonly<Record<'build' | 'pack', number>>;
}

/**
 * Builds the package (the steps of `npm run build`: `vite build`, the
 * studio page (`vite build --config studio/vite.config.ts`) and, unless
 * `types` is false, `tsc -p tsconfig.build.json`) into a staging
 * folder holding what the `files` field ships, so the repository's own
 * `dist/` is left alone, and packs it with `npm pack` into `dir`. The staging
 * folder is removed.
 *
 * @example
 * ```ts
 * import { mkdtemp } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { packPackage } from './install.js';
 * const { tarball } = await packPackage(await mkdtemp(`${tmpdir()}/xsc-`), { types: false });
 * ```
 */
export async function packPackage(dir: string, { types = true }: { types?: boolean } = {}): Promise<PackedPackage> {
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { files: string[] };
  const stage = await mkdtemp(join(tmpdir(), 'xsc-stage-'));
  try {
    let t = performance.now();
    const lap = () => {
      const s = (performance.now() - t) / 1000;
      t = performance.now();
      return Math.round(s * 10) / 10;
    };
    const node = process.execPath;
    const options = { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 };
    const out = join(stage, 'dist');
    await mkdir(out);
    // The folder is new and empty, so both steps can write into it at once.
    await Promise.all([
      run(node, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', out], options),
      types
        ? run(
            node,
            [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
            options,
          )
        : undefined,
    ]);
    // The third step of `npm run build`, after the library build (which empties dist/): the studio page.
    await run(
      node,
      [
        join(repoRoot, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'studio/vite.config.ts',
        '--outDir',
        join(out, 'studio'),
      ],
      options,
    );
    const build = lap();
    // Whatever else `files` names is copied as it is, so npm packs the same set it would from the repository.
    await copyFile(join(repoRoot, 'package.json'), join(stage, 'package.json'));
    // A pattern (docs/*.md) copies its top folder; npm's own matching then picks the files.
    const tops = new Set(pkg.files.filter((f) => f !== 'dist').map((f) => f.split('/')[0]!));
    for (const top of tops) await cp(join(repoRoot, top), join(stage, top), { recursive: true });
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: stage });
    const [info] = JSON.parse(packed.stdout) as Array<{
      filename: string;
      files: Array<{ path: string; size: number }>;
    }>;
    if (info === undefined) throw new Error(`npm pack in ${stage} reported nothing`);
    return {
      tarball: join(dir, info.filename),
      filename: info.filename,
      files: info.files.map((f) => ({ path: f.path, size: f.size })),
      seconds: { build, pack: lap() },
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * Packs the package ({@link packPackage}) and installs the tarball, with the
 * peers each entry needs and the fixtures of `test/package/consumer/`, into a
 * fresh folder under `os.tmpdir()`, where nothing of the repository resolves.
 * Dependencies come from npm's cache when they are there (`--prefer-offline`),
 * else the registry; `xstate-oldest` is an npm alias of {@link OLDEST_XSTATE}.
 *
 * @example
 * ```ts
 * import { installPackage } from './install.js';
 * const installed = await installPackage();
 * await installed.remove();
 * ```
 */
export async function installPackage(): Promise<InstalledPackage> {
  const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  const dir = await mkdtemp(join(tmpdir(), 'xsc-consumer-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const t = performance.now();
    const packed = await packPackage(dir);
    const dependencies: Record<string, string> = { 'xstate-checkpoint': `file:./${packed.filename}` };
    // At the versions the repository's lockfile holds, which `npm ci` just put into npm's cache.
    for (const name of [...Object.keys(pkg.peerDependencies), ...consumerExtras]) {
      dependencies[name] = await versionIn(name);
    }
    dependencies['xstate-oldest'] = `npm:xstate@${OLDEST_XSTATE}`;
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }, null, 2),
    );
    await cp(join(repoRoot, 'test/package/consumer'), dir, { recursive: true });
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-package-lock',
        '--loglevel=error',
      ],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } },
    );
    const installed = await readdir(join(dir, 'node_modules/xstate-checkpoint'));
    if (!installed.includes('package.json')) throw new Error(`the tarball did not install into ${dir}`);
    const install = Math.round((performance.now() - t) / 100) / 10 - packed.seconds.build - packed.seconds.pack;
    const seconds = { ...packed.seconds, install: Math.round(install * 10) / 10 };
    return { dir, tarball: packed.tarball, files: packed.files, seconds, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
