import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { persistActor, type CheckpointEvent, type RetentionOptions } from 'xstate-checkpoint';
import { fileAdapter, type FileSystemLike } from 'xstate-checkpoint/adapters/fs';

// Issue 12: a save that fails for space must leave every generation retention keeps.
// Real ENOSPC comes from a 2 MiB tmpfs (mounting needs root, as CI runs; elsewhere that
// case skips with one line); the same is checked everywhere with injected ENOSPC.
const mountPoint = mkdtempSync(join(tmpdir(), 'xsc-disk-full-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    console.log('real tmpfs disk-full tests skipped: mounting a tmpfs needs root.');
    return false;
  }
})();
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const blobs = setup({
  types: { context: {} as { n: number; blob: string }, events: {} as { type: 'SET'; n: number; size: number } },
}).createMachine({
  id: 'blobs',
  context: { n: 0, blob: '' },
  on: {
    SET: { actions: assign(({ event }) => ({ n: event.n, blob: String(event.n % 10).repeat(event.size) })) },
  },
});

/** Saves states 1..count of `size` bytes each; returns the persisted actor and its events. */
async function fill(dir: string, fs: FileSystemLike, retain: RetentionOptions, count: number, size: number) {
  const events: CheckpointEvent[] = [];
  const p = await persistActor(blobs, {
    key: 'k',
    adapter: fileAdapter({ dir, fs }),
    retain,
    flushOnExit: false,
    onEvent: (e) => events.push(e),
    onError: () => undefined,
  });
  for (let n = 1; n <= count; n++) {
    p.actor.send({ type: 'SET', n, size });
    await p.flush();
  }
  return { p, events };
}

/** The `n` of every stored generation, newest first, each restored through the kit. */
async function storedStates(dir: string): Promise<number[]> {
  const adapter = fileAdapter({ dir });
  const p = await persistActor(blobs, { key: 'k', adapter, flushOnExit: false });
  const out: number[] = [];
  for (const g of await p.history.list()) {
    out.push(((await p.history.load(g.seq)).snapshot as { context: { n: number } }).context.n);
  }
  await p.close();
  await adapter.dispose();
  return out;
}

/** A file system whose writes fail with ENOSPC while `full` is set. */
function fillableFs() {
  const state = { full: false, failed: 0 };
  const fs: FileSystemLike = {
    ...nodeFs,
    open: async (path, flags) => {
      const handle = await nodeFs.open(path, flags);
      return {
        writeFile: async (data: Uint8Array) => {
          if (state.full && data.length > 0) {
            state.failed++;
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          await handle.writeFile(data);
        },
        read: (buffer: Uint8Array, offset: number, length: number, position: number) =>
          handle.read(buffer, offset, length, position),
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
  };
  return { fs, state };
}

describe('disk full: the history survives a save that fails for space', () => {
  it.runIf(mounted)('on a real 2 MiB tmpfs, a failed save deletes none of the 5 retained generations', async () => {
    const dir = join(mountPoint, 'keep');
    const { p, events } = await fill(dir, nodeFs, { latest: 5 }, 5, 250_000);
    // Take what is left of the tmpfs, so the next generation cannot fit.
    const filler = join(mountPoint, 'filler');
    await nodeFs.writeFile(filler, new Uint8Array(0));
    for (let chunk = 64 * 1024; chunk >= 4096; chunk /= 2) {
      for (;;) {
        try {
          await nodeFs.appendFile(filler, new Uint8Array(chunk));
        } catch {
          break;
        }
      }
    }
    p.actor.send({ type: 'SET', n: 6, size: 250_000 });
    await expect(p.flush()).rejects.toMatchObject({ code: 'storage-full' });
    expect(events.some((e) => e.type === 'prune')).toBe(false);
    await p.close().catch(() => undefined);
    expect(await storedStates(dir)).toEqual([5, 4, 3, 2, 1]);
    // No temp file of the failed save stays behind to keep the disk full.
    expect(
      (await nodeFs.readdir(join(dir, (await nodeFs.readdir(dir))[0]!))).filter((n) => n.startsWith('.tmp')),
    ).toEqual([]);
    await nodeFs.rm(filler);
    await nodeFs.rm(dir, { recursive: true });
  });

  it.runIf(mounted)(
    "on a real tmpfs, retain.onFull 'drop-oldest' frees the oldest until the newest state fits",
    async () => {
      const dir = join(mountPoint, 'drop');
      // Six states of 300 kB in 2 MiB: the sixth does not fit beside five.
      const { p, events } = await fill(dir, nodeFs, { latest: 10, onFull: 'drop-oldest' }, 7, 300_000);
      await p.close();
      const states = await storedStates(dir);
      expect(states[0]).toBe(7);
      expect(states).toEqual(Array.from({ length: states.length }, (_, i) => 7 - i));
      const removed = events.flatMap((e) => (e.type === 'prune' ? e.removed : []));
      expect(removed.length).toBeGreaterThan(0);
      expect(states.length + removed.length).toBe(7);
      expect(events.some((e) => e.type === 'save-error')).toBe(false);
      await nodeFs.rm(dir, { recursive: true });
    },
  );

  it('with injected ENOSPC, a failed save deletes none of the retained generations (the old code kept 1 of 5)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xsc-enospc-'));
    const { fs, state } = fillableFs();
    const { p, events } = await fill(dir, fs, { latest: 5 }, 5, 1000);
    state.full = true;
    p.actor.send({ type: 'SET', n: 6, size: 1000 });
    await expect(p.flush()).rejects.toMatchObject({ code: 'storage-full' });
    expect(state.failed).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'prune')).toBe(false);
    expect(await storedStates(dir)).toEqual([5, 4, 3, 2, 1]);
    // Space comes back: the pending state is written and nothing was lost on the way.
    state.full = false;
    await p.flush();
    expect(await storedStates(dir)).toEqual([6, 5, 4, 3, 2]);
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("with injected ENOSPC and 'drop-oldest', the newest durable generation is never removed", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xsc-enospc-'));
    const { fs, state } = fillableFs();
    const { p } = await fill(dir, fs, { latest: 5, onFull: 'drop-oldest' }, 3, 1000);
    state.full = true; // stays full whatever is removed
    p.actor.send({ type: 'SET', n: 4, size: 1000 });
    await expect(p.flush()).rejects.toMatchObject({ code: 'storage-full' });
    expect(await storedStates(dir)).toEqual([3]);
    await p.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
});
