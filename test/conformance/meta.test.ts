import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pgTarget, redisUrl } from '../server/support.js';
import { adapterEntries, factoriesIn, repoCompilerOptions } from './factories.js';
import {
  currentRun,
  excusedSuites,
  judgeFactories,
  judgeRuns,
  markerDir,
  type ExpectedSuite,
  type RunMarker,
  type SuiteKind,
} from './markers.js';

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

/** The adapter factories the package exports (package.json `exports`, read by the type checker). */
const exportedFactories = () =>
  factoriesIn(adapterEntries(root), join(root, 'src/adapter.ts'), repoCompilerOptions(root));

/** The declared suites, what their markers say, and which suites were excused from running. */
async function runVerdict() {
  const run = currentRun();
  expect(run, 'the run id vite.config.ts provides').toBeDefined();
  const expected: ExpectedSuite[] = [];
  const unnamed: string[] = [];
  for (const { path, text } of await testSources()) {
    const found = declaredSuites(path, text);
    expected.push(...found.suites);
    if (found.unnamed > 0) unnamed.push(path);
  }
  const ci = Boolean(process.env.CI);
  const markers = await readMarkers();
  const up = ci ? new Set<string>() : await serversUp();
  const verdict = judgeRuns(expected, markers, { run: run!.run, ci, serversUp: up });
  const excused = excusedSuites(expected, markers, { run: run!.run, serversUp: up });
  return { run: run!.run, ci, expected, unnamed, markers, verdict, excused };
}

it('every adapter factory the package exports passed a conformance suite in this run (all of them under CI)', async () => {
  const factories = exportedFactories();
  // The scan must see the adapters it is meant to guard, or it could pass on nothing; the journal
  // adapters return an interface declared in another file, which a scan of one file missed.
  expect(factories.map((f) => f.name)).toEqual(
    expect.arrayContaining([
      'memoryAdapter',
      'fileAdapter',
      'fileJournalAdapter',
      'postgresAdapter',
      'postgresJournalAdapter',
      'indexedDbAdapter',
      'indexedDbJournalAdapter',
      'localStorageAdapter',
      'redisAdapter',
      'channelAdapter',
      'connectChannelAdapter',
    ]),
  );
  const { run, ci, markers, excused } = await runVerdict();
  const texts = new Map((await testSources()).map((t) => [t.path, t.text]));
  // A factory may be one that an excused suite tests when that suite's file names it.
  const mayBeExcused = (factory: string) =>
    excused.some((s) => new RegExp(`\\b${factory}\\b`).test(texts.get(s.file) ?? ''));
  const judged = judgeFactories(factories, markers, { run, ci, excused: mayBeExcused });
  for (const line of judged.notes) console.log(line);
  expect(judged.failures).toEqual([]);
});

it('every conformance suite in the test sources really ran in this run (all of them under CI)', async () => {
  const { expected, unnamed, verdict } = await runVerdict();
  expect(unnamed, 'conformance calls whose name is not a string literal (the check needs it)').toEqual([]);
  // The scan must see the suites it is meant to guard, or it could pass on nothing.
  expect(expected.map((s) => `${s.project}/${s.kind}/${s.suite}`)).toEqual(
    expect.arrayContaining(['node/adapter/memory', 'node/adapter/postgres', 'node/adapter/redis', 'node/journal/fs']),
  );
  for (const line of verdict.notes) console.log(line);
  expect(verdict.failures).toEqual([]);
});

/** A run marker of run `r1` for the judge's own tests: 24 of 24 cases passed, unless `over` says otherwise. */
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

describe('the run check', () => {
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

it('the factory scan tells adapter factories from other functions, wherever their return type is declared', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'xsc-factories-'));
  try {
    const write = (name: string, text: string) => writeFile(join(dir, name), text);
    await write(
      'contract.ts',
      'export interface CheckpointAdapter { readonly name: string; list(key: string): Promise<number[]> }',
    );
    // The interface a factory returns lives in another file than the factory (the journal adapters' case).
    await write(
      'fancy.ts',
      `import type { CheckpointAdapter } from './contract.js';\nexport interface FancyAdapter extends CheckpointAdapter { extra(): void }`,
    );
    await write(
      'entry.ts',
      `import type { CheckpointAdapter } from './contract.js';
import type { FancyAdapter } from './fancy.js';
type Options = { readonly dir?: string };
export interface ServedAdapter { close(): void }
declare const adapter: FancyAdapter;
export function fancyAdapter(options: Options = {}): FancyAdapter { void options; return adapter; }
export async function connectFancy(options: Options): Promise<CheckpointAdapter> { void options; return adapter; }
export function plainAdapter(): CheckpointAdapter { return adapter; }
export function serveAdapter(served: CheckpointAdapter): ServedAdapter { void served; return { close() {} }; }
export function helper(): string { return ''; }
export { reexported } from './more.js';`,
    );
    await write(
      'more.ts',
      `import type { FancyAdapter } from './fancy.js';\ndeclare const a: FancyAdapter;\nexport const reexported = (): FancyAdapter => a;`,
    );
    const found = factoriesIn(new Map([['./adapters/fancy', join(dir, 'entry.ts')]]), join(dir, 'contract.ts'), {
      ...repoCompilerOptions(root),
      paths: {},
    });
    expect(found.map((f) => f.name)).toEqual(expect.arrayContaining(['fancyAdapter', 'connectFancy', 'plainAdapter']));
    expect(found.map((f) => f.name).sort()).toEqual(['connectFancy', 'fancyAdapter', 'plainAdapter', 'reexported']);
    expect(found.every((f) => f.entry === './adapters/fancy')).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('the factory check', () => {
  const factories = [
    { entry: './adapters/memory', name: 'memoryAdapter' },
    { entry: './adapters/postgres-journal', name: 'postgresJournalAdapter' },
  ];
  const both = [
    marker('memory', { factories: ['memoryAdapter'] }),
    marker('postgres (postgresJournalAdapter)', { factories: ['postgresJournalAdapter'] }),
  ];

  it('passes when every exported factory was named by a suite of this run that passed every case', () => {
    expect(judgeFactories(factories, both, { run: 'r1', ci: true, excused: () => false })).toEqual({
      failures: [],
      notes: [],
    });
  });

  it('fails a factory no suite of this run named, one named only by a suite with failed cases, or only in an earlier run', () => {
    const memoryOnly = both.slice(0, 1);
    expect(judgeFactories(factories, memoryOnly, { run: 'r1', ci: true, excused: () => false }).failures).toEqual([
      'postgresJournalAdapter (xstate-checkpoint/adapters/postgres-journal) ran no adapter conformance suite in this run; CI is set, so every exported adapter factory must',
    ]);
    const failing = [
      ...memoryOnly,
      marker('postgres (postgresJournalAdapter)', { factories: ['postgresJournalAdapter'], passed: 23 }),
    ];
    expect(judgeFactories(factories, failing, { run: 'r1', ci: false, excused: () => false }).failures).toHaveLength(1);
    const earlier = [
      ...memoryOnly,
      marker('postgres (postgresJournalAdapter)', { run: 'r0', factories: ['postgresJournalAdapter'] }),
    ];
    expect(judgeFactories(factories, earlier, { run: 'r1', ci: true, excused: () => false }).failures).toHaveLength(1);
    // A journal suite on the same adapter does not stand in for the adapter suite.
    const journalOnly = [...memoryOnly, marker('postgres', { kind: 'journal', factories: ['postgresJournalAdapter'] })];
    expect(judgeFactories(factories, journalOnly, { run: 'r1', ci: true, excused: () => false }).failures).toHaveLength(
      1,
    );
  });

  it('outside CI, notes a missing factory an excused suite may test, and fails it otherwise', () => {
    const memoryOnly = both.slice(0, 1);
    expect(
      judgeFactories(factories, memoryOnly, { run: 'r1', ci: false, excused: (f) => f === 'postgresJournalAdapter' }),
    ).toEqual({
      failures: [],
      notes: ['Adapter factories not checked (their suites may be the ones not run): postgresJournalAdapter.'],
    });
    expect(judgeFactories(factories, memoryOnly, { run: 'r1', ci: false, excused: () => false }).failures).toEqual([
      'postgresJournalAdapter (xstate-checkpoint/adapters/postgres-journal) ran no adapter conformance suite in this run: name it in the factories of the runAdapterConformance call that tests it',
    ]);
  });
});
