import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pgTarget, redisUrl } from '../server/support.js';
import { currentRun, judgeRuns, markerDir, type ExpectedSuite, type RunMarker, type SuiteKind } from './markers.js';

// Runs in the `meta` project, after every other project (vite.config.ts).
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

const testSources = async () =>
  Promise.all(
    (await files(join(root, 'test'), (n) => /\.test\.tsx?$/.test(n)))
      .filter((path) => path !== fileURLToPath(import.meta.url))
      .map(async (path) => ({ path: relative(root, path), text: await readFile(path, 'utf8') })),
  );

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

/** The projects that run a test file (vite.config.ts). */
function projectsOf(path: string): string[] {
  if (path.startsWith('test/browser/')) return ['browser'];
  if (path.startsWith('test/core/')) return ['node', 'node-dev'];
  return ['node'];
}

/** The server a test file's suites need, read from the gate it uses. */
function serverOf(text: string): string | undefined {
  if (/\b(postgresAvailable|describePostgres)\(/.test(text)) return 'PostgreSQL';
  if (/\b(redisAvailable|describeRedis)\(/.test(text)) return 'Redis';
  return undefined;
}

/** Every `runAdapterConformance` / `runJournalConformance` call in `text`, per project it runs in. */
function declaredSuites(path: string, text: string): { suites: ExpectedSuite[]; unnamed: number } {
  const suites: ExpectedSuite[] = [];
  const server = serverOf(text);
  for (const m of text.matchAll(/\brun(Adapter|Journal)Conformance\(\s*'([^'\n]+)'/g)) {
    const kind = m[1]!.toLowerCase() as SuiteKind;
    for (const project of projectsOf(path)) {
      suites.push({ project, kind, suite: m[2]!, file: path, ...(server ? { server } : {}) });
    }
  }
  const calls = text.match(/\brun(Adapter|Journal)Conformance\(/g)?.length ?? 0;
  return { suites, unnamed: calls - suites.length / projectsOf(path).length };
}

async function readMarkers(): Promise<RunMarker[]> {
  const dir = join(root, markerDir);
  const paths = await files(dir, (n) => n.endsWith('.json')).catch(() => []);
  return Promise.all(paths.map(async (p) => JSON.parse(await readFile(p, 'utf8')) as RunMarker));
}

/** True when something accepts TCP connections at host:port (a quiet probe: the suites print their own line). */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function serversUp(): Promise<Set<string>> {
  const redis = new URL(redisUrl());
  const pg = pgTarget();
  const [pgUp, redisUp] = await Promise.all([
    listening(pg.host, pg.port),
    listening(redis.hostname || '127.0.0.1', Number(redis.port || 6379)),
  ]);
  return new Set([...(pgUp ? ['PostgreSQL'] : []), ...(redisUp ? ['Redis'] : [])]);
}

it('every adapter factory in adapters/ runs the conformance suite in some test file', async () => {
  const runners = (await testSources()).filter((t) => t.text.includes('runAdapterConformance('));
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

it('every conformance suite in the test sources really ran in this run (all of them under CI)', async () => {
  const run = currentRun();
  expect(run, 'the run id vite.config.ts provides').toBeDefined();
  const expected: ExpectedSuite[] = [];
  const unnamed: string[] = [];
  for (const { path, text } of await testSources()) {
    const found = declaredSuites(path, text);
    expected.push(...found.suites);
    if (found.unnamed > 0) unnamed.push(path);
  }
  expect(unnamed, 'conformance calls whose name is not a string literal (the check needs it)').toEqual([]);
  // The scan must see the suites it is meant to guard, or it could pass on nothing.
  expect(expected.map((s) => `${s.project}/${s.kind}/${s.suite}`)).toEqual(
    expect.arrayContaining(['node/adapter/memory', 'node/adapter/postgres', 'node/adapter/redis', 'node/journal/fs']),
  );
  const ci = Boolean(process.env.CI);
  const verdict = judgeRuns(expected, await readMarkers(), {
    run: run!.run,
    ci,
    serversUp: ci ? new Set() : await serversUp(),
  });
  for (const line of verdict.notes) console.log(line);
  expect(verdict.failures).toEqual([]);
});

describe('the run check', () => {
  const marker = (suite: string, over: Partial<RunMarker> = {}): RunMarker => ({
    run: 'r1',
    project: 'node',
    kind: 'adapter',
    suite,
    adapter: suite,
    cases: 24,
    passed: 24,
    ...over,
  });
  const expected: ExpectedSuite[] = [
    { project: 'node', kind: 'adapter', suite: 'memory', file: 'test/adapters/memory.test.ts' },
    {
      project: 'node',
      kind: 'adapter',
      suite: 'postgres',
      file: 'test/adapters/postgres.test.ts',
      server: 'PostgreSQL',
    },
    { project: 'browser', kind: 'journal', suite: 'indexeddb (chromium)', file: 'test/browser/x.test.ts' },
  ];
  const all = [
    marker('memory'),
    marker('postgres'),
    marker('indexeddb (chromium)', { project: 'browser', kind: 'journal' }),
  ];

  it('passes when every declared suite left a marker of this run with every case passed', () => {
    expect(judgeRuns(expected, all, { run: 'r1', ci: true, serversUp: new Set() })).toEqual({
      failures: [],
      notes: [],
    });
  });

  it('fails a suite that was skipped (no marker), one from an earlier run, and one with cases that did not pass', () => {
    const skipped = all.filter((m) => m.suite !== 'postgres');
    expect(judgeRuns(expected, skipped, { run: 'r1', ci: true, serversUp: new Set() }).failures).toEqual([
      'adapter conformance "postgres" (node) did not run in this run (test/adapters/postgres.test.ts); CI is set, so every conformance suite must run',
    ]);
    const stale = [...skipped, marker('postgres', { run: 'r0' })];
    expect(judgeRuns(expected, stale, { run: 'r1', ci: true, serversUp: new Set() }).failures).toHaveLength(1);
    const partial = [...skipped, marker('postgres', { passed: 23 })];
    expect(judgeRuns(expected, partial, { run: 'r1', ci: false, serversUp: new Set() }).failures).toEqual([
      'adapter conformance "postgres" (node): 23 of 24 cases passed (test/adapters/postgres.test.ts)',
    ]);
  });

  it('outside CI, notes a suite whose server is down or whose project did not run, and fails any other', () => {
    const onlyMemory = [marker('memory')];
    expect(judgeRuns(expected, onlyMemory, { run: 'r1', ci: false, serversUp: new Set() })).toEqual({
      failures: [],
      notes: [
        'Conformance not run (no PostgreSQL server): adapter "postgres".',
        'Conformance not run (project browser ran no conformance suite in this run): journal "indexeddb (chromium)".',
      ],
    });
    // The server answers, so its suite should have run: a failure even outside CI.
    expect(
      judgeRuns(expected, onlyMemory, { run: 'r1', ci: false, serversUp: new Set(['PostgreSQL']) }).failures,
    ).toHaveLength(1);
    const noMemory = all.filter((m) => m.suite !== 'memory');
    expect(judgeRuns(expected, noMemory, { run: 'r1', ci: false, serversUp: new Set() }).failures).toHaveLength(1);
  });

  it('reads the suites a test file declares, per project, with the server it needs', () => {
    const text = `const ready = await postgresAvailable();\nrunAdapterConformance('postgres', {});\nrunJournalConformance(name, {});`;
    expect(declaredSuites('test/adapters/postgres.test.ts', text)).toEqual({
      suites: [
        {
          project: 'node',
          kind: 'adapter',
          suite: 'postgres',
          file: 'test/adapters/postgres.test.ts',
          server: 'PostgreSQL',
        },
      ],
      unnamed: 1,
    });
    expect(declaredSuites('test/browser/a.test.ts', `runJournalConformance('idb', {})`).suites[0]).toMatchObject({
      project: 'browser',
      kind: 'journal',
    });
  });
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
