// API reference from the TSDoc of every public entry: `npm run docs:api` writes docs/api/.
// The entries are read from package.json's exports map, so a new export is documented without a change here.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(`${import.meta.dirname}/package.json`, 'utf8'));
// The public name → source layout the test aliases use: ".", "./adapters/<name>" (a folder: its
// index.ts, or journal.ts for "<name>-journal"), "./<entry>".
const adapterSource = (name) =>
  name.endsWith('-journal') ? `adapters/${name.slice(0, -'-journal'.length)}/journal.ts` : `adapters/${name}/index.ts`;
const sourceOf = (subpath) =>
  subpath === '.'
    ? 'src/index.ts'
    : subpath.startsWith('./adapters/')
      ? adapterSource(subpath.slice('./adapters/'.length))
      : `src/entries/${subpath.slice(2)}.ts`;

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints: Object.keys(pkg.exports)
    .filter((subpath) => subpath !== './package.json')
    .map(sourceOf),
  tsconfig: 'tsconfig.build.json',
  out: 'docs/api',
  name: 'xstate-checkpoint',
  readme: 'none',
  // No source links: the repository has no public remote to link to.
  disableSources: true,
  excludePrivate: true,
  excludeInternal: true,
  // Warnings (types used by the API but not exported) are printed; errors fail the run.
  treatWarningsAsErrors: false,
  validation: { notExported: true, invalidLink: true, invalidPath: true, notDocumented: false },
};
