import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CheckpointAdapter } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import {
  adapterConformance,
  ConformanceFailure,
  journalConformance,
  type ConformanceTarget,
  type JournalConformanceTarget,
  type TestApi,
} from 'xstate-checkpoint/testing';

const root = fileURLToPath(new URL('../..', import.meta.url));

type Body = () => Promise<void> | void;

/** What the runner below throws to end a case its context's `skip` was called in (as Vitest does). */
const SKIPPED = Symbol('skipped');

/**
 * A test runner in 40 lines: collects a kit's cases, runs them in order with their hooks, reports each.
 * Skipped cases are listed with the note given at run time, if any (`name [note]`).
 */
async function runCases(
  register: (api: TestApi) => void,
): Promise<{ passed: string[]; failed: Map<string, unknown>; skipped: string[] }> {
  const cases: Array<{ name: string; body: Body; before: Body[]; after: Body[] }> = [];
  const skipped: string[] = [];
  const scopes: Array<{ name: string; before: Body[]; after: Body[] }> = [{ name: '', before: [], after: [] }];
  const path = (name: string) => [...scopes.slice(1).map((s) => s.name), name].join(' > ');
  const it = Object.assign(
    (name: string, body: Body) => {
      cases.push({
        name: path(name),
        body,
        before: scopes.flatMap((s) => s.before),
        after: scopes.flatMap((s) => s.after),
      });
    },
    { skip: (name: string) => skipped.push(path(name)) },
  );
  const api: TestApi = {
    describe(name, body) {
      scopes.push({ name, before: [], after: [] });
      body();
      scopes.pop();
    },
    it,
    beforeEach: (body) => scopes.at(-1)!.before.push(body),
    afterEach: (body) => scopes.at(-1)!.after.push(body),
  };
  register(api);
  const passed: string[] = [];
  const failed = new Map<string, unknown>();
  for (const c of cases) {
    const context = {
      skip(note?: string): never {
        skipped.push(note === undefined ? c.name : `${c.name} [${note}]`);
        throw SKIPPED;
      },
    };
    try {
      for (const hook of c.before) await hook();
      await (c.body as (context: unknown) => Promise<void> | void)(context);
      passed.push(c.name);
    } catch (error) {
      if (error !== SKIPPED) failed.set(c.name, error);
    } finally {
      for (const hook of c.after) await hook();
    }
  }
  return { passed, failed, skipped };
}

const runKit = (target: ConformanceTarget) => runCases((api) => adapterConformance('under test', target, api));
const runJournalKit = (target: JournalConformanceTarget) =>
  runCases((api) => journalConformance('under test', target, api));

const name = (suffix: string) => `adapter conformance: under test > ${suffix}`;

describe('conformance kit (xstate-checkpoint/testing)', () => {
  it('passes a correct adapter on a runner of its own (no vitest inside the kit)', async () => {
    let store = createMemoryStore();
    const result = await runKit({
      create: () => {
        store = createMemoryStore();
        return memoryAdapter({ store });
      },
      createPeer: () => memoryAdapter({ store }),
      skipLarge: true,
    });
    expect([...result.failed.keys()]).toEqual([]);
    expect(result.passed.length).toBeGreaterThanOrEqual(22);
    expect(result.passed).toContain(
      name('locks > gives the lock to one holder, bumps the epoch and fences the old one'),
    );
    expect(result.passed).toContain(name('locks > an acquire that dispose overtakes leaves the key free for the peer'));
    expect(result.passed).toContain(
      name(
        'with a second writer on the same store > settles every write in flight when dispose runs; each acknowledged one is there for the peer',
      ),
    );
    // The memory adapter has locks but no readNewest nor readNewestMany: those cases are skipped, saying why, never passed.
    expect(result.skipped).toEqual([
      // Registered as skipped (skipLarge), then skipped when they ran (no readNewest, no readNewestMany).
      name('stores a large record'),
      name(
        'readNewest (optional) agrees with list, read, listQuarantine and fencing [skipped: the adapter has no readNewest (optional)]',
      ),
      name(
        'readNewestMany (optional) answers each key, in order, as readNewest does [skipped: the adapter has no readNewestMany (optional)]',
      ),
    ]);
  });

  it('shows the lock cases as skipped, with the reason, on an adapter without locks', async () => {
    const result = await runKit({
      create: () => {
        const { acquire: _acquire, ...inner } = memoryAdapter();
        return { ...inner, capabilities: { ...inner.capabilities, locks: false } };
      },
    });
    expect([...result.failed.keys()]).toEqual([]);
    const reason = '[skipped: the adapter has no acquire (capabilities.locks: false)]';
    expect(result.skipped).toContain(name(`acquire bumps the epoch so older writers are fenced ${reason}`));
    expect(result.passed.filter((c) => /acquire|lock/.test(c))).toEqual([]);
  });

  it('fails an adapter that overwrites on a repeated sequence, naming the case and the contract', async () => {
    const result = await runKit({
      create: () => {
        const inner = memoryAdapter();
        // Broken on purpose: a "last write wins" store that ignores compare-and-set.
        const broken: CheckpointAdapter = {
          ...inner,
          async write(key, record) {
            const newest = (await inner.list(key))[0]?.seq ?? 0;
            if (record.seq <= newest) await inner.remove(key, record.seq);
            return inner.write(key, { ...record, seq: Math.max(record.seq, newest + 1) });
          },
        };
        return broken;
      },
      skipLarge: true,
    });
    const failure = result.failed.get(
      name('refuses a stale or repeated sequence with conflict and keeps the stored generation'),
    );
    expect(failure).toBeInstanceOf(ConformanceFailure);
    expect((failure as Error).message).toBe('repeated seq 2: expected "conflict", got "ok"');
    expect(result.failed.has(name('does not reuse a removed sequence number below the newest'))).toBe(true);
    expect(result.passed).toContain(name('round-trips bytes and metadata exactly'));
  });

  it('fails an adapter whose acquire keeps a lock it took while dispose ran', async () => {
    let store = createMemoryStore();
    const result = await runKit({
      create: () => {
        store = createMemoryStore();
        const inner = memoryAdapter({ store });
        // Broken on purpose: the lock is taken a moment later, by a part that dispose does not reach.
        const late = memoryAdapter({ store });
        return {
          ...inner,
          acquire: async (key, options) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return late.acquire!(key, options);
          },
        };
      },
      createPeer: () => memoryAdapter({ store }),
      skipLarge: true,
    });
    expect(result.failed.has(name('locks > an acquire that dispose overtakes leaves the key free for the peer'))).toBe(
      true,
    );
    expect(result.passed).toContain(
      name('locks > gives the lock to one holder, bumps the epoch and fences the old one'),
    );
  });

  it('fails an adapter that hands out its stored bytes, and one that throws plain errors', async () => {
    const result = await runKit({
      create: () => {
        const stored = new Map<string, Uint8Array>();
        const inner = memoryAdapter();
        return {
          ...inner,
          async write(key, record) {
            await inner.write(key, record);
            stored.set(`${key}/${record.seq}`, record.bytes);
          },
          async read(key, seq) {
            await inner.read(key, seq);
            return stored.get(`${key}/${seq}`);
          },
          async quarantine() {
            throw new Error('not supported');
          },
        };
      },
      skipLarge: true,
    });
    expect(String(result.failed.get(name('returns bytes the caller cannot use to change what is stored')))).toContain(
      'bytes after the caller zeroed its copy: first differing byte at 0',
    );
    expect(String(result.failed.get(name('reports quarantine of a missing generation as not-found')))).toContain(
      'expected a CheckpointError, got Error: not supported',
    );
  });
});

/** The memory adapter's journal, with the damage hooks a target gives (the memory store keeps frames per key). */
const memoryTarget = (wrap: (adapter: CheckpointAdapter) => CheckpointAdapter = (a) => a) => {
  let store = createMemoryStore();
  const target: JournalConformanceTarget = {
    create: () => wrap(memoryAdapter({ store: (store = createMemoryStore()) })),
    reopen: () => wrap(memoryAdapter({ store })),
    corruptEntry: (key) => {
      // The memory journal keeps the frames of each append apart: damage the first frame of the second append.
      const chunk = store.keys.get(key)!.journal[1]!;
      chunk[0] = chunk[0]! ^ 0xff;
    },
    setAside: (key) => store.keys.get(key)!.journalAside.reduce((n, c) => n + c.length, 0),
  };
  return target;
};

describe('journal conformance kit (xstate-checkpoint/testing)', () => {
  const journalName = (suffix: string) => `journal conformance: under test > ${suffix}`;

  it('passes a correct journal on a runner of its own, and skips the torn-tail case without tearTail', async () => {
    const result = await runJournalKit(memoryTarget());
    expect([...result.failed.keys()]).toEqual([]);
    expect(result.passed).toHaveLength(16);
    expect(result.skipped).toEqual([
      journalName('reports a torn tail, then a restarted writer cuts it and appends after the last good entry'),
    ]);
  });

  it('fails a journal that accepts a repeated sequence, naming the case and the check', async () => {
    const result = await runJournalKit(
      memoryTarget((adapter) => {
        const journal = adapter.journal!;
        // Broken on purpose: appends of already-stored sequences are dropped silently instead of refused.
        const broken: CheckpointAdapter['journal'] = {
          ...journal,
          async append(key, entries, epoch) {
            const last = (await journal.read(key, 0)).entries.at(-1)?.seq ?? 0;
            const fresh = entries.filter((e) => e.seq > last);
            if (fresh.length > 0) await journal.append(key, fresh, epoch);
          },
          read: (key, afterSeq) => journal.read(key, afterSeq),
          truncate: (key, uptoSeq) => journal.truncate(key, uptoSeq),
        };
        return { ...adapter, journal: broken, dispose: () => adapter.dispose() };
      }),
    );
    const failure = result.failed.get(
      journalName('refuses sequences that do not increase with conflict, storing nothing of that call'),
    );
    expect(failure).toBeInstanceOf(ConformanceFailure);
    expect((failure as Error).message).toBe('append repeating seq 3: expected "conflict", got "ok"');
    expect(result.passed).toContain(journalName('round-trips entries exactly, in order, across appends'));
  });

  it('fails a journal whose adapter has no journal, in every case', async () => {
    const result = await runJournalKit({
      ...memoryTarget(),
      create: () => {
        const { journal: _journal, ...withoutJournal } = memoryAdapter();
        return withoutJournal;
      },
    });
    expect(result.passed).toEqual([]);
    expect(String(result.failed.get(journalName('reads nothing from an empty journal')))).toContain(
      'the adapter memory must offer a journal',
    );
  });
});

it('runs both kits under node:test, with the cases a runner of its own passes and skips', async () => {
  let store = createMemoryStore();
  const adapter = await runKit({
    create: () => memoryAdapter({ store: (store = createMemoryStore()) }),
    createPeer: () => memoryAdapter({ store }),
    skipLarge: true,
  });
  const journal = await runJournalKit(memoryTarget());
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/conformance/node-test-fixture.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.stdout).toContain(`# pass ${adapter.passed.length + journal.passed.length}\n`);
  expect(run.stdout).toContain('# fail 0');
  expect(run.stdout).toContain(`# skipped ${adapter.skipped.length + journal.skipped.length}\n`);
  expect(run.status).toBe(0);
}, 70_000);
