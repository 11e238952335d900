import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointAdapter } from 'xstate-checkpoint';
import {
  adapterConformance,
  conformanceRecord,
  journalConformance,
  type ConformanceTarget,
  type JournalConformanceTarget,
  type TestApi,
  type TestBody,
} from 'xstate-checkpoint/testing';
import { currentRun, writeMarker, type SuiteKind } from './markers.js';

export type { ConformanceTarget, JournalConformanceTarget } from 'xstate-checkpoint/testing';

/** A record with the given seq (and epoch), its bytes derived from both so mix-ups show. */
export const record = conformanceRecord;

/** Byte equality without a deep-equal walk (fast on megabytes, short message on failure). */
export function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual, 'bytes missing').toBeInstanceOf(Uint8Array);
  expect(actual!.length, 'byte length').toBe(expected.length);
  let firstDiff = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual![i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  expect(firstDiff, 'first differing byte').toBe(-1);
}

/**
 * Vitest's test functions for a kit, counting the cases registered and the
 * cases that passed. After the kit's outer `describe` block has run, a marker
 * says so (test/conformance/markers.ts); a skipped block runs no `afterAll`,
 * so it leaves none, and the meta project notices.
 */
function recordingApi(
  kind: SuiteKind,
  suite: string,
  adapterName: () => string,
  factories?: readonly AdapterFactory[],
): TestApi {
  let depth = 0;
  let cases = 0;
  let started = 0;
  let passed = 0;
  const counted = (title: string, body: TestBody) => {
    cases++;
    it(title, async (context) => {
      started++;
      // A case the adapter lacks the capability for skips itself at run time: it is not a registered case then.
      const counting = {
        skip: (note?: string) => {
          cases--;
          context.skip(note);
        },
      };
      await (body as (context: unknown) => Promise<void> | void)(counting);
      passed++;
    });
  };
  return {
    describe(title, body) {
      describe(title, () => {
        const outer = depth++ === 0;
        body();
        depth--;
        const run = currentRun();
        if (outer && run) {
          afterAll(async () => {
            if (started === 0) return;
            const made = factories ? { factories: factories.map((f) => f.name) } : {};
            await writeMarker({ ...run, kind, suite, adapter: adapterName(), ...made, cases, passed });
          });
        }
      });
    },
    it: Object.assign(counted, { skip: (title: string, body: TestBody) => it.skip(title, body) }),
    beforeEach,
    afterEach,
  };
}

/** `target` with `create` noting the name of the adapter it returns. */
function noteName<T extends { create(): Promise<CheckpointAdapter> | CheckpointAdapter }>(
  target: T,
): { target: T; name: () => string } {
  let name = '';
  const create = async () => {
    const adapter = await target.create();
    name = adapter.name;
    return adapter;
  };
  return { target: { ...target, create }, name: () => name };
}

/**
 * An adapter factory of the package: the meta project checks that every one
 * the package exports is named by a suite that ran (test/conformance/factories.ts).
 */
export type AdapterFactory = (...args: never[]) => CheckpointAdapter | Promise<CheckpointAdapter>;

/**
 * The adapter contract as tests, on Vitest: the runner-agnostic suite of
 * `xstate-checkpoint/testing` given Vitest's functions. Every adapter runs
 * this, in Node and, for browser adapters, in Chromium; the meta project
 * checks that each call really ran. `factories` are the package's adapter
 * factories whose adapters `target` creates: the run marker names them, and
 * the meta project fails an exported factory that no suite of the run named.
 *
 * @example
 * ```ts
 * import { runAdapterConformance } from './suite.js';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * runAdapterConformance('memory', [memoryAdapter], { create: () => memoryAdapter() });
 * ```
 */
export function runAdapterConformance(
  name: string,
  factories: readonly [AdapterFactory, ...AdapterFactory[]],
  target: ConformanceTarget,
): void {
  const noted = noteName(target);
  adapterConformance(name, noted.target, recordingApi('adapter', name, noted.name, factories));
}

/**
 * The journal part of the contract as tests, on Vitest: the published
 * `journalConformance` given Vitest's functions, recorded like
 * {@link runAdapterConformance}.
 *
 * @example
 * ```ts
 * import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { runJournalConformance } from './suite.js';
 * let store = createMemoryStore();
 * runJournalConformance('memory', {
 *   create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
 *   reopen: () => memoryAdapter({ store }),
 *   corruptEntry: () => undefined,
 *   setAside: () => 0,
 * });
 * ```
 */
export function runJournalConformance(name: string, target: JournalConformanceTarget): void {
  const noted = noteName(target);
  journalConformance(name, noted.target, recordingApi('journal', name, noted.name));
}
