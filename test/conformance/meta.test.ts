import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every file under `dir` (recursively) whose name passes `keep`. */
async function files(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '.tmp' && entry.name !== 'node_modules') out.push(...(await files(path, keep)));
    } else if (keep(entry.name)) out.push(path);
  }
  return out;
}

/**
 * Exported functions of an adapter module that return an adapter: their
 * declared return type is `CheckpointAdapter` or an interface of that file
 * extending it (`PostgresAdapter`), possibly in a Promise.
 */
function adapterFactories(source: string): string[] {
  const adapterTypes = new Set(['CheckpointAdapter']);
  for (const m of source.matchAll(/export interface (\w+)\s+extends\s+CheckpointAdapter\b/g)) adapterTypes.add(m[1]!);
  const out: string[] = [];
  for (const m of source.matchAll(/export (?:async )?function (\w+)\s*\([^)]*\)\s*:\s*(?:Promise<)?(\w+)>?\s*\{/g)) {
    if (adapterTypes.has(m[2]!)) out.push(m[1]!);
  }
  return out;
}

it('every adapter factory in adapters/ runs the conformance suite in some test file', async () => {
  const testSources = await Promise.all(
    (await files(join(root, 'test'), (n) => /\.test\.tsx?$/.test(n))).map(async (path) => ({
      path,
      text: await readFile(path, 'utf8'),
    })),
  );
  const runners = testSources.filter((t) => t.text.includes('runAdapterConformance('));
  const factories: string[] = [];
  const missing: string[] = [];
  for (const file of await files(join(root, 'adapters'), (n) => n.endsWith('.ts'))) {
    for (const factory of adapterFactories(await readFile(file, 'utf8'))) {
      factories.push(factory);
      const covered = runners.some((t) => new RegExp(`\\b${factory}\\(`).test(t.text));
      if (!covered) missing.push(`${factory} (${relative(root, file)})`);
    }
  }
  expect(missing, 'factories without a runAdapterConformance test').toEqual([]);
  // The scan must see the adapters it is meant to guard, or it could pass on nothing.
  expect(factories).toEqual(
    expect.arrayContaining(['memoryAdapter', 'fileAdapter', 'postgresAdapter', 'channelAdapter']),
  );
});

it('the factory scan tells adapter factories from other functions', () => {
  const source = `
export interface FancyAdapter extends CheckpointAdapter { extra(): void }
export function fancyAdapter(options: Options = {}): FancyAdapter {
export async function connectFancy(options: Options): Promise<CheckpointAdapter> {
export function plainAdapter(): CheckpointAdapter {
export function serveAdapter(adapter: CheckpointAdapter, handle: Handle): ServedAdapter {
export function helper(): string {`;
  expect(adapterFactories(source)).toEqual(['fancyAdapter', 'connectFancy', 'plainAdapter']);
});
