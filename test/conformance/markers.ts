import { inject } from 'vitest';

// Set per project in vite.config.ts: the id of this `vitest` process and the project's name.
declare module 'vitest' {
  export interface ProvidedContext {
    xscRun: string;
    xscProject: string;
  }
}

export type SuiteKind = 'adapter' | 'journal';

/** What a conformance suite leaves behind when its cases really ran (test/.tmp/conformance/<project>/...). */
export interface RunMarker {
  /** The `vitest` process that ran it (`xscRun`). */
  readonly run: string;
  readonly project: string;
  readonly kind: SuiteKind;
  /** The name given to `runAdapterConformance` / `runJournalConformance`. */
  readonly suite: string;
  /** `adapter.name` of the adapters the cases ran on. */
  readonly adapter: string;
  /**
   * The adapter factories the suite's registration says its cases ran on
   * (`runAdapterConformance`'s `factories`, by function name); none for a journal suite.
   */
  readonly factories?: readonly string[];
  /** Cases registered (skipped ones not counted) and cases that passed. */
  readonly cases: number;
  readonly passed: number;
}

/** Folder of the markers, relative to the repository root. */
export const markerDir = 'test/.tmp/conformance';

/** Where the marker of one suite in one project lives, relative to the repository root. */
export function markerPath(project: string, kind: SuiteKind, suite: string): string {
  return `${markerDir}/${project}/${kind}--${suite.replace(/[^A-Za-z0-9]+/g, '_')}.json`;
}

/** The run and project this test file runs in, or `undefined` outside this repository's vitest config. */
export function currentRun(): { run: string; project: string } | undefined {
  const run = inject('xscRun');
  const project = inject('xscProject');
  return typeof run === 'string' && typeof project === 'string' ? { run, project } : undefined;
}

/** Writes a marker: through Node's fs in Node, through vitest's file commands in the browser. */
export async function writeMarker(marker: RunMarker): Promise<void> {
  const path = markerPath(marker.project, marker.kind, marker.suite);
  const text = `${JSON.stringify(marker, null, 2)}\n`;
  if (marker.project === 'browser') {
    const { commands } = await import('vitest/browser');
    await commands.writeFile(path, text);
    return;
  }
  const [{ mkdir, writeFile }, { dirname, join }, { fileURLToPath }] = await Promise.all([
    import('node:fs/promises'),
    import('node:path'),
    import('node:url'),
  ]);
  const file = join(fileURLToPath(new URL('../..', import.meta.url)), path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** A conformance suite the test sources declare: it must leave a marker when the whole suite runs. */
export interface ExpectedSuite {
  readonly project: string;
  readonly kind: SuiteKind;
  readonly suite: string;
  /** The test file that runs it (for messages). */
  readonly file: string;
  /** The server it needs (`PostgreSQL`, `Redis`), if any. */
  readonly server?: string;
}

export interface Verdict {
  /** What makes the meta-test fail. */
  readonly failures: string[];
  /** One line each: what did not run for a reason that is not a failure outside CI. */
  readonly notes: string[];
}

const short = (s: { kind: SuiteKind; suite: string }) => `${s.kind} "${s.suite}"`;
const label = (s: { project: string; kind: SuiteKind; suite: string }) =>
  `${s.kind} conformance "${s.suite}" (${s.project})`;

/** Why a suite that left no marker may be missing outside CI: its project was not run, or its server is down. */
function excuse(
  s: ExpectedSuite,
  projectsRan: ReadonlySet<string>,
  serversUp: ReadonlySet<string>,
): string | undefined {
  if (!projectsRan.has(s.project)) return `project ${s.project} ran no conformance suite in this run`;
  if (s.server !== undefined && !serversUp.has(s.server)) return `no ${s.server} server`;
  return undefined;
}

/**
 * The declared suites of run `run` that left no marker for a reason that is
 * not a failure outside CI (see {@link judgeRuns}).
 */
export function excusedSuites(
  expected: readonly ExpectedSuite[],
  markers: readonly RunMarker[],
  context: { run: string; serversUp: ReadonlySet<string> },
): ExpectedSuite[] {
  const current = markers.filter((m) => m.run === context.run);
  const projectsRan = new Set(current.map((m) => m.project));
  return expected.filter(
    (s) =>
      !current.some((m) => m.project === s.project && m.kind === s.kind && m.suite === s.suite) &&
      excuse(s, projectsRan, context.serversUp) !== undefined,
  );
}

/**
 * Compares the suites the sources declare with the markers of run `run`. In
 * CI every declared suite must have run all its cases. Outside CI, a suite
 * missing because its server is down, or because its project was not part of
 * this run, is a note; any other missing suite is a failure.
 */
export function judgeRuns(
  expected: readonly ExpectedSuite[],
  markers: readonly RunMarker[],
  context: { run: string; ci: boolean; serversUp: ReadonlySet<string> },
): Verdict {
  const failures: string[] = [];
  const current = markers.filter((m) => m.run === context.run);
  const projectsRan = new Set(current.map((m) => m.project));
  const notRun = new Map<string, string[]>();
  const note = (reason: string, what: string) => notRun.set(reason, [...(notRun.get(reason) ?? []), what]);
  for (const s of expected) {
    const marker = current.find((m) => m.project === s.project && m.kind === s.kind && m.suite === s.suite);
    if (marker) {
      if (marker.cases === 0 || marker.passed !== marker.cases) {
        failures.push(`${label(s)}: ${marker.passed} of ${marker.cases} cases passed (${s.file})`);
      }
      continue;
    }
    const what = `${label(s)} did not run in this run (${s.file})`;
    const reason = context.ci ? undefined : excuse(s, projectsRan, context.serversUp);
    if (context.ci) failures.push(`${what}; CI is set, so every conformance suite must run`);
    else if (reason !== undefined) note(reason, short(s));
    else failures.push(what);
  }
  const notes = [...notRun].map(([reason, suites]) => `Conformance not run (${reason}): ${suites.join(', ')}.`);
  return { failures, notes };
}

/**
 * Compares the adapter factories the package exports with the factories the
 * adapter suites of run `run` named (`runAdapterConformance`'s `factories`)
 * and passed every case on. In CI each factory must be among them. Outside
 * CI, a missing factory that `excused` says an excused suite may test (its
 * server is down or its project did not run, see {@link excusedSuites}) is a
 * note; any other missing factory is a failure.
 */
export function judgeFactories(
  factories: ReadonlyArray<{ readonly entry: string; readonly name: string }>,
  markers: readonly RunMarker[],
  context: { run: string; ci: boolean; excused: (factory: string) => boolean },
): Verdict {
  const ran = new Set(
    markers
      .filter((m) => m.run === context.run && m.kind === 'adapter' && m.cases > 0 && m.passed === m.cases)
      .flatMap((m) => m.factories ?? []),
  );
  const failures: string[] = [];
  const missing: string[] = [];
  for (const f of factories) {
    if (ran.has(f.name)) continue;
    const what = `${f.name} (xstate-checkpoint${f.entry.slice(1)}) ran no adapter conformance suite in this run`;
    if (context.ci) failures.push(`${what}; CI is set, so every exported adapter factory must`);
    else if (context.excused(f.name)) missing.push(f.name);
    else failures.push(`${what}: name it in the factories of the runAdapterConformance call that tests it`);
  }
  const notes =
    missing.length > 0
      ? [`Adapter factories not checked (their suites may be the ones not run): ${missing.join(', ')}.`]
      : [];
  return { failures, notes };
}
