import { transpileTree } from '../journal/kill-build.js';

/**
 * Transpiles `test/crash/fs-child.ts` and every module it imports into
 * `outDir` (see {@link transpileTree}). Child processes then start with plain
 * `node` (about 0.1 s) instead of through tsx (about 0.7 s), which is what
 * makes 1,000 kills affordable in `npm test`.
 *
 * @example
 * ```ts
 * import { buildChild } from './fs-build.js';
 * const entry = await buildChild('/tmp/xsc-child');
 * ```
 */
export function buildChild(outDir: string): Promise<string> {
  return transpileTree('test/crash/fs-child.ts', outDir);
}
