import * as nodeFs from 'node:fs/promises';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { persistActor, type CheckpointError } from 'xstate-checkpoint';
import { fileAdapter, keyFolderName, type FileSystemLike } from 'xstate-checkpoint/adapters/fs';

// Issue 12: the epoch was checked before the temp file, fsync and link(); a writer paused
// after that check published its stale generation after another process took the lock,
// its flush resolved as durable, and the new holder's next write failed with `conflict`
// and was halted for good. Here the pause is injected inside link() of the old writer.

let work = '';
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xsc-fs-fencing-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const counter = setup({
  types: { context: {} as { count: number; by: string }, events: {} as { type: 'INC'; by: string } },
}).createMachine({
  id: 'counter',
  context: { count: 0, by: '' },
  on: { INC: { actions: assign(({ context, event }) => ({ count: context.count + 1, by: event.by })) } },
});

/** The real file system, with a gate in front of the next link() once armed. */
function pausableFs() {
  let gate: { reached: () => void; release: Promise<void> } | undefined;
  const fs: FileSystemLike = {
    ...nodeFs,
    link: async (from, to) => {
      const g = gate;
      if (g && to.endsWith('.gen')) {
        gate = undefined;
        g.reached();
        await g.release;
      }
      return nodeFs.link(from, to);
    },
  };
  /** Arms the gate; resolves `reached` once a link waits at it, and lets it go on `release()`. */
  const pauseNextLink = () => {
    let release!: () => void;
    let reached!: () => void;
    const at = new Promise<void>((r) => (reached = r));
    gate = { reached, release: new Promise<void>((r) => (release = r)) };
    return { reached: at, release };
  };
  return { fs, pauseNextLink };
}

type Outcome = { ok: true } | { ok: false; code: string };
const outcomeOf = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    () => ({ ok: true }) as const,
    (error: CheckpointError) => ({ ok: false, code: error.code }) as const,
  );

/**
 * Old writer A holds the lock with a 1 s lease and is paused inside link(); its lease
 * expires, B takes the lock. `releaseAt` says when A goes on: before B restores, after B
 * restored but before B writes, or after B's first write.
 */
async function pausedWriter(releaseAt: 'before-restore' | 'before-write' | 'after-write') {
  const dir = join(work, `store-${n++}`);
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const paused = pausableFs();
  const errorsA: string[] = [];
  const a = await persistActor(counter, {
    key: 'k',
    adapter: fileAdapter({ dir, fs: paused.fs, now }),
    lock: { ttlMs: 1000 },
    flushOnExit: false,
    onError: (e) => errorsA.push(e.code),
  });
  a.actor.send({ type: 'INC', by: 'a' });
  await a.flush();
  const pause = paused.pauseNextLink();
  a.actor.send({ type: 'INC', by: 'a' });
  const aFlush = outcomeOf(a.flush());
  await pause.reached; // A checked the epoch, wrote and fsynced its temp file, and stopped.
  clock += 5000; // A's lease expired while it was stopped

  const errorsB: string[] = [];
  const adapterB = fileAdapter({ dir, now });
  const acquire = persistActor(counter, {
    key: 'k',
    adapter: adapterB,
    lock: { ttlMs: 60_000 },
    flushOnExit: false,
    onError: (e) => errorsB.push(e.code),
  });
  let b;
  if (releaseAt === 'before-restore') {
    // B holds the lock but has not restored yet: wait until B's lock record is written (B listed the
    // folder and fixed which generations count), then let A publish. Waiting only for the file to
    // exist raced B's listing under load: A's link could land before it, inside what B counts.
    const lockFile = join(dir, keyFolderName('k'), 'lock-0000000000000002');
    const written = async () => {
      const text = await readFile(lockFile, 'utf8').catch(() => '');
      try {
        return Object.hasOwn(JSON.parse(text) as object, 'fencesAbove');
      } catch {
        return false; // not written yet, or half written
      }
    };
    while (!(await written())) await new Promise((r) => setTimeout(r, 1));
    pause.release();
    await aFlush;
    b = await acquire;
  } else {
    b = await acquire;
    if (releaseAt === 'before-write') {
      pause.release();
      await aFlush;
    }
  }
  expect(b.actor.getSnapshot().context.count).toBe(1);
  b.actor.send({ type: 'INC', by: 'b' });
  const bFirst = await outcomeOf(b.flush());
  if (releaseAt === 'after-write') {
    pause.release();
    await aFlush;
  }
  b.actor.send({ type: 'INC', by: 'b' });
  const bSecond = await outcomeOf(b.flush());
  const bState = b.actor.getSnapshot().context;
  await b.close();
  await a.close().catch(() => undefined);

  // A fresh process restores what B acknowledged; the stale generation sits in quarantine or is skipped.
  const adapterC = fileAdapter({ dir });
  const c = await persistActor(counter, { key: 'k', adapter: adapterC, lock: true, flushOnExit: false });
  const restored = c.actor.getSnapshot().context;
  const listed = await c.history.list();
  const stale = [];
  for (const g of listed) {
    if (((await c.history.load(g.seq)).snapshot as { context: { by: string } }).context.by === 'a' && g.seq > 1)
      stale.push(g.seq);
  }
  const quarantine = await adapterC.listQuarantine('k');
  await c.close();
  return { aFlush: await aFlush, errorsA, errorsB, bFirst, bSecond, bState, restored, stale, quarantine };
}

describe('file lock fencing with a writer paused inside link()', () => {
  for (const releaseAt of ['before-restore', 'before-write', 'after-write'] as const) {
    it(`the paused writer ends fenced and the new holder is never halted (A resumes ${releaseAt})`, async () => {
      const r = await pausedWriter(releaseAt);
      // Never acknowledged as durable.
      expect(r.aFlush).toEqual({ ok: false, code: 'fenced' });
      // The holder wrote past the leftover without an error and kept writing.
      expect(r.bFirst).toEqual({ ok: true });
      expect(r.bSecond).toEqual({ ok: true });
      expect(r.errorsB).toEqual([]);
      expect(r.bState).toEqual({ count: 3, by: 'b' });
      // Acknowledged state comes back; the stale generation is neither restored nor listed.
      expect(r.restored).toEqual({ count: 3, by: 'b' });
      expect(r.stale).toEqual([]);
      if (releaseAt !== 'after-write') {
        // It was published, and is kept (set aside, not deleted).
        expect(r.quarantine.map((q) => q.reason)).toEqual([expect.stringMatching(/^fenced: written with epoch 1/)]);
      }
    });
  }
});
