import * as fs from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { persistActor, taggedJsonCodec } from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { createMachine } from 'xstate';
import { FIRST_READ, readWholeFile, type CallbackFs } from '../../adapters/fs/read-file.js';

// The default file system reads generation files with readWholeFile: as few
// trips as the stated size allows, and never less than the whole file.

/** Node's callback fs, counting reads and optionally returning at most `chunk` bytes per read. */
function countingFs(chunk = Infinity) {
  const counts = { reads: 0, closes: 0 };
  const cfs: CallbackFs = {
    open: (path, flags, cb) => fs.open(path, flags, cb),
    read: (fd, buffer, offset, length, position, cb) => {
      counts.reads++;
      fs.read(fd, buffer, offset, Math.min(length, chunk), position, (error, n) => cb(error, n));
    },
    close: (fd, cb) => {
      counts.closes++;
      fs.close(fd, cb);
    },
  };
  return { cfs, counts };
}

function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}
/** Byte equality without vitest's element-by-element diff (slow on large arrays). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xsc-read-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readWholeFile', () => {
  it('reads a small file of stated size in one read', async () => {
    const path = join(dir, 'small');
    await writeFile(path, bytes(1000));
    const { cfs, counts } = countingFs();
    const got = await readWholeFile(cfs, path, () => 1000);
    expect(got).toEqual(bytes(1000));
    expect(counts.reads).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(counts.closes).toBe(1);
  });

  it('reads until the end when the size is not known, and files larger than the first read', async () => {
    const path = join(dir, 'large');
    const data = bytes(FIRST_READ * 5 + 17);
    await writeFile(path, data);
    expect(same(await readWholeFile(countingFs().cfs, path, () => undefined), data)).toBe(true);
    expect(same(await readWholeFile(countingFs().cfs, path, () => data.length), data)).toBe(true);
  });

  it('never takes a short read for the end: reads on until the stated size or the end', async () => {
    const path = join(dir, 'chunked');
    const data = bytes(5000);
    await writeFile(path, data);
    const { cfs, counts } = countingFs(512);
    expect(await readWholeFile(cfs, path, () => data.length)).toEqual(data);
    expect(counts.reads).toBe(10);
    expect(await readWholeFile(countingFs(512).cfs, path, () => undefined)).toEqual(data);
  });

  it('returns a file longer than stated whole (up to a byte past the size), and a shorter one as it is', async () => {
    const path = join(dir, 'mismatch');
    const data = bytes(FIRST_READ * 3);
    await writeFile(path, data);
    // Stated smaller: what was read is returned, so a length check sees the extra bytes.
    const longer = await readWholeFile(countingFs().cfs, path, () => FIRST_READ * 2);
    expect(longer.length).toBeGreaterThan(FIRST_READ * 2);
    expect(same(longer, data.subarray(0, longer.length))).toBe(true);
    // Stated larger (a truncated file): everything there is, nothing invented.
    expect(same(await readWholeFile(countingFs().cfs, path, () => FIRST_READ * 10), data)).toBe(true);
    // A crafted size of 4 GB on a small file: read as it is, no 4 GB buffer.
    expect(same(await readWholeFile(countingFs().cfs, path, () => 2 ** 32), data)).toBe(true);
  });

  it('returns copies: a later read into the reused first-read buffer leaves earlier results alone', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeFile(a, new Uint8Array(100).fill(1));
    await writeFile(b, new Uint8Array(100).fill(2));
    const first = await readWholeFile(countingFs().cfs, a, () => 100);
    const both = await Promise.all([b, a, b].map((p) => readWholeFile(countingFs().cfs, p, () => 100)));
    expect(first.every((x) => x === 1)).toBe(true);
    expect(both.map((r) => r[0])).toEqual([2, 1, 2]);
    expect(both[0]!.buffer).not.toBe(both[2]!.buffer);
  });

  it('rejects with the open error (ENOENT stays ENOENT)', async () => {
    await expect(readWholeFile(countingFs().cfs, join(dir, 'absent'), () => 1)).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

describe('fileAdapter with the default file system', () => {
  it('restores through readWholeFile and still refuses a generation file with bytes past its stated length', async () => {
    const store = join(dir, 'store');
    const machine = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });
    const adapter = fileAdapter({ dir: store });
    const first = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
    first.actor.send({ type: 'GO' });
    await first.close();
    const again = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
    expect(again.restored.source).toBe('checkpoint');
    expect(again.actor.getSnapshot().value).toBe('b');
    await again.close();
    // Append bytes to the newest generation: its stored length no longer matches.
    const folder = join(store, (await readdir(store))[0]!);
    const newest = (await readdir(folder))
      .filter((n) => n.endsWith('.gen'))
      .sort()
      .at(-1)!;
    const extra = encodeEnvelope(
      { machine: 'm', version: 1, seq: 99, epoch: 0, createdAt: 0, codec: taggedJsonCodec.id },
      taggedJsonCodec.encode({}),
    );
    await writeFile(join(folder, newest), extra, { flag: 'a' });
    const third = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
    expect(third.restored.rejected.map((r) => r.code)).toEqual(['corrupt']);
    await third.close();
    await adapter.dispose();
  });
});

describe('hostile files where a generation belongs (redteam)', () => {
  it('readWholeFile rejects with too-large past its cap instead of reading on, and turns a throwing sizeOf into a rejection', async () => {
    const path = join(dir, 'over-cap');
    await writeFile(path, bytes(5000));
    await expect(readWholeFile(countingFs().cfs, path, () => undefined, 'r', 1000)).rejects.toMatchObject({
      code: 'too-large',
    });
    // Exactly at the cap is still read whole.
    expect((await readWholeFile(countingFs().cfs, path, () => undefined, 'r', 5001)).length).toBe(5000);
    await expect(
      readWholeFile(countingFs().cfs, path, () => {
        throw new RangeError('hostile');
      }),
    ).rejects.toThrow('hostile');
  });

  const posix = process.platform !== 'win32';
  const machine = createMachine({
    id: 'm',
    initial: 'a',
    context: { n: 0 },
    states: { a: { on: { GO: 'b' } }, b: {} },
  });
  async function storeWithTwo(name: string) {
    const store = join(dir, name);
    const adapter = fileAdapter({ dir: store });
    const first = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
    first.actor.send({ type: 'GO' });
    await first.close();
    await adapter.dispose();
    const folder = join(store, (await readdir(store))[0]!);
    return { store, g: (seq: number) => join(folder, `${String(seq).padStart(16, '0')}.gen`) };
  }

  it.runIf(posix)(
    'a FIFO, a link to /dev/zero and a 3 GiB sparse file are quarantined and the older generation restored, without a hang or a crash',
    async () => {
      const { execFileSync } = await import('node:child_process');
      const hostile: Record<string, (path: string) => void> = {
        fifo: (path) => execFileSync('mkfifo', [path]),
        zero: (path) => fs.symlinkSync('/dev/zero', path),
        sparse: (path) => fs.truncateSync((fs.writeFileSync(path, ''), path), 3 * 1024 ** 3),
      };
      for (const [name, make] of Object.entries(hostile)) {
        const { store, g } = await storeWithTwo(`hostile-${name}`);
        make(g(9));
        const adapter = fileAdapter({ dir: store });
        const restored = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
        expect(
          restored.restored.rejected.map((r) => [r.seq, r.code]),
          name,
        ).toEqual([[9, 'corrupt']]);
        expect(restored.actor.getSnapshot().value, name).toBe('b');
        expect(
          (await adapter.listQuarantine('k')).map((q) => q.seq),
          name,
        ).toEqual([9]);
        await restored.close();
        await adapter.dispose();
      }
    },
    30_000,
  );

  it.runIf(posix)(
    'persistAll (the synchronous batch read) does not block on a FIFO either',
    async () => {
      const { execFileSync } = await import('node:child_process');
      const { persistAll } = await import('xstate-checkpoint');
      const { store, g } = await storeWithTwo('hostile-fifo-many');
      execFileSync('mkfifo', [g(9)]);
      const adapter = fileAdapter({ dir: store });
      const { actors, failed } = await persistAll(machine, ['k'], { adapter, flushOnExit: false });
      expect([...failed.keys()]).toEqual([]);
      const one = actors.get('k')!;
      expect(one.actor.getSnapshot().value).toBe('b');
      expect(one.restored.rejected.map((r) => r.seq)).toEqual([9]);
      await one.close();
      await adapter.dispose();
    },
    30_000,
  );
});

describe('hostile small files of a key folder (redteam)', () => {
  const posix = process.platform !== 'win32';
  const machine = createMachine({ id: 'm' });

  it.runIf(posix)(
    'a key, lock or quarantine note file linked to /dev/zero is refused, not read until the process runs out of memory',
    async () => {
      const store = join(dir, 'hostile-small');
      const long = 'L'.repeat(300); // a hashed folder: its key file names it
      const adapter = fileAdapter({ dir: store });
      for (const key of [long, 'k']) {
        const p = await persistActor(machine, { key, adapter, flushOnExit: false });
        await p.flush();
        await p.close();
      }
      const { keyFolderName } = await import('xstate-checkpoint/adapters/fs');
      const hashed = join(store, keyFolderName(long));
      const plain = join(store, keyFolderName('k'));
      fs.rmSync(join(hashed, 'key'));
      fs.symlinkSync('/dev/zero', join(hashed, 'key'));
      // The hashed folder's key cannot be read: it is left out, the other key is listed.
      expect(await fileAdapter({ dir: store }).keys()).toEqual(['k']);
      fs.mkdirSync(join(plain, 'quarantine'));
      fs.copyFileSync(
        join(plain, '0000000000000001.gen'),
        join(plain, 'quarantine', '0000000000000001-abc-0000abcd.gen'),
      );
      fs.symlinkSync('/dev/zero', join(plain, 'quarantine', '0000000000000001-abc-0000abcd.json'));
      expect((await fileAdapter({ dir: store }).listQuarantine('k')).map((q) => q.seq)).toEqual([1]);
      fs.symlinkSync('/dev/zero', join(plain, 'lock-0000000000000007'));
      // An unreadable lock file, as one of garbage: taken over once older than the grace period
      // (a link's time is that of /dev/zero, long past).
      const locked = await persistActor(machine, {
        key: 'k',
        adapter: fileAdapter({ dir: store }),
        lock: true,
        flushOnExit: false,
      });
      expect(locked.restored.source).toBe('checkpoint');
      await locked.close();
      await adapter.dispose();
    },
    30_000,
  );
});
