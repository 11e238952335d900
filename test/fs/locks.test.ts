import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointRecord } from 'xstate-checkpoint';
import { isCheckpointError } from 'xstate-checkpoint';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { buildChild } from '../crash/fs-build.js';
import { startChild } from './children.js';
import { codeOf } from '../helpers/errors.js';
import { driveClock, manualClock } from '../helpers/manual-clock.js';

let work = '';
let entry = '';
let dir = '';
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xsc-fs-locks-'));
  entry = await buildChild(join(work, 'build'));
}, 60_000);
beforeEach(() => {
  dir = join(work, `store-${n++}`);
});
afterAll(() => rm(work, { recursive: true, force: true }));

const record = (seq: number, epoch: number): CheckpointRecord => {
  const bytes = new TextEncoder().encode(`${seq}@${epoch}`);
  return { seq, epoch, createdAt: seq, byteLength: bytes.length, bytes };
};
const lockFiles = async (key: string) =>
  (await readdir(join(dir, keyFolderName(key)))).filter((name) => name.startsWith('lock-')).sort();

describe('fileAdapter locks', () => {
  it('names the live holder in lock-held, and hands over after release when waiting', async () => {
    const a = fileAdapter({ dir });
    const b = fileAdapter({ dir });
    const lease = await a.acquire!('k');
    try {
      await b.acquire!('k');
      expect.unreachable();
    } catch (error) {
      expect(isCheckpointError(error) && error.code).toBe('lock-held');
      if (isCheckpointError(error)) {
        expect(error.message).toContain(`pid ${process.pid}`);
        expect(error.key).toBe('k');
      }
    }
    setTimeout(() => void lease.release(), 60);
    const next = await b.acquire!('k', { waitMs: 5_000 });
    expect(next.epoch).toBe(lease.epoch + 1);
    await next.release();
  });

  it('lets exactly one of many concurrent acquirers win', async () => {
    const adapters = Array.from({ length: 8 }, () => fileAdapter({ dir }));
    const codes = await Promise.all(adapters.map((a) => codeOf(a.acquire!('k'))));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(codes.filter((c) => c === 'lock-held')).toHaveLength(7);
    expect(await lockFiles('k')).toEqual(['lock-0000000000000001']);
    await Promise.all(adapters.map((a) => a.dispose()));
  });

  it('runs lease expiry and the wait of acquire({ waitMs }) on the `clock` option (a fake clock here)', async () => {
    const clock = manualClock();
    const a = fileAdapter({ dir, clock });
    const b = fileAdapter({ dir, clock });
    const held = await a.acquire!('k', { ttlMs: 60_000 });
    // b polls by the fake clock: each poll is a timer on it, none fires until the test moves time.
    const started = clock.now();
    const { outcome, fired } = await driveClock(clock, b.acquire!('k', { waitMs: 2_000 }));
    expect(outcome.status === 'rejected' && isCheckpointError(outcome.reason) && outcome.reason.code).toBe('lock-held');
    // One poll every 25 ms until the 2 s are up, and not one more.
    expect(fired).toBe(2_000 / 25);
    expect(clock.now() - started).toBe(2_000);
    // The lease expires by the same clock: 60 s later b takes the key over at once.
    await clock.advance(60_001);
    const taken = await b.acquire!('k');
    expect(taken.epoch).toBe(held.epoch + 1);
    await taken.release();
  });

  it('keeps the deprecated `now` option working as the clock’s now()', async () => {
    const at = 1_234_567;
    const adapter = fileAdapter({ dir, now: () => at });
    await adapter.write('k', record(1, 0));
    await adapter.quarantine('k', 1, 'test');
    expect((await adapter.listQuarantine('k'))[0]?.quarantinedAt).toBe(at);
  });

  it('takes over an expired lease, fences the old holder and never releases the new holder’s lock', async () => {
    let now = 1_000_000;
    const a = fileAdapter({ dir, now: () => now });
    const b = fileAdapter({ dir, now: () => now });
    const old = await a.acquire!('k', { ttlMs: 1_000 });
    await a.write('k', record(1, old.epoch));
    now += 999;
    expect(await codeOf(b.acquire!('k'))).toBe('lock-held');
    now += 2;
    const taken = await b.acquire!('k', { ttlMs: 1_000 });
    expect(taken.epoch).toBe(old.epoch + 1);
    expect(await codeOf(a.write('k', record(2, old.epoch)))).toBe('fenced');
    await old.release();
    expect(await lockFiles('k')).toEqual([`lock-${String(taken.epoch).padStart(16, '0')}`]);
    expect(await codeOf(fileAdapter({ dir, now: () => now }).acquire!('k'))).toBe('lock-held');
    await b.write('k', record(2, taken.epoch));
    await taken.release();
  });

  it('never hands out an epoch twice, even when nothing was written', async () => {
    const a = fileAdapter({ dir });
    const epochs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = await a.acquire!('k');
      epochs.push(lease.epoch);
      await lease.release();
    }
    expect(epochs).toEqual([1, 2, 3, 4]);
    // Released epochs still fence: a writer from epoch 3 cannot write now.
    expect(await codeOf(a.write('k', record(1, 3)))).toBe('fenced');
    expect(await lockFiles('k')).toEqual(['lock-0000000000000004.released']);
  });

  it('starts above the newest generation’s epoch', async () => {
    const a = fileAdapter({ dir });
    await a.write('k', record(1, 41));
    expect((await a.acquire!('k')).epoch).toBe(42);
  });

  it('dispose releases the adapter’s locks', async () => {
    const a = fileAdapter({ dir });
    await a.acquire!('k');
    await a.dispose();
    expect((await fileAdapter({ dir }).acquire!('k')).epoch).toBe(2);
  });

  it('an acquire that dispose overtakes (its lock file just created) rejects with closed and leaves no lock behind', async () => {
    let disposing: Promise<void> | undefined;
    const a = fileAdapter({
      dir,
      fs: {
        ...fsp,
        async open(path, flags) {
          const handle = await fsp.open(path, flags);
          // The app disposes the adapter the moment the lock file is created, before acquire resolves.
          if (path.includes('lock-')) disposing ??= a.dispose();
          return handle;
        },
      },
    });
    await a.write('k', record(1, 0));
    expect(await codeOf(a.acquire!('k'))).toBe('closed');
    await disposing;
    expect((await fileAdapter({ dir }).acquire!('k')).epoch).toBe(2);
  });

  it('treats an unreadable lock file as held while fresh and as dead after 10 s', async () => {
    const a = fileAdapter({ dir });
    await a.write('k', record(1, 0));
    const path = join(dir, keyFolderName('k'), 'lock-0000000000000005');
    await writeFile(path, '');
    expect(await codeOf(a.acquire!('k'))).toBe('lock-held');
    const past = new Date(Date.now() - 11_000);
    await utimes(path, past, past);
    expect((await a.acquire!('k')).epoch).toBe(6);
  });

  it('takes over from a holder process killed with SIGKILL, and not before', async () => {
    const holder = await startChild(entry, ['hold-lock', dir, 'k']);
    holder.go();
    const epoch = Number((await holder.line('locked ')).split(' ')[1]);
    const a = fileAdapter({ dir });
    expect(await codeOf(a.acquire!('k'))).toBe('lock-held');
    holder.kill();
    await holder.exited;
    const lease = await a.acquire!('k');
    expect(lease.epoch).toBe(epoch + 1);
    await lease.release();
  }, 30_000);

  it('gives the lock to exactly one of several processes asking at once', async () => {
    const children = await Promise.all(Array.from({ length: 4 }, () => startChild(entry, ['hold-lock', dir, 'k'])));
    for (const child of children) child.go();
    const answers = await Promise.all(children.map((c) => Promise.race([c.line('locked '), c.line('refused ')])));
    for (const child of children) child.kill();
    await Promise.all(children.map((c) => c.exited));
    expect(answers.filter((a) => a.startsWith('locked '))).toHaveLength(1);
    expect(answers.filter((a) => a === 'refused lock-held')).toHaveLength(3);
  }, 30_000);
});

describe('lock file names read as hostile (redteam)', () => {
  it('a lock name past 2^53 is ignored, so the next lock and every write keep a safe epoch', async () => {
    const { persistActor } = await import('xstate-checkpoint');
    const { counter, reopen } = await import('../helpers/counter.js');
    const store = await mkdtemp(join(tmpdir(), 'xsc-fs-lockname-'));
    try {
      const adapter = fileAdapter({ dir: store });
      const first = await persistActor(counter, { key: 'k', adapter, lock: true, flushOnExit: false });
      await first.close();
      await writeFile(join(store, keyFolderName('k'), 'lock-9999999999999999.released'), '{}');
      const { persisted: again, errors } = await reopen(adapter, true);
      again.actor.send({ type: 'INC' });
      await again.flush();
      await again.close();
      expect(errors).toEqual([]);
      const [newest] = await adapter.list('k');
      expect(Number.isSafeInteger(newest!.epoch)).toBe(true);
      await adapter.dispose();
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });
});
