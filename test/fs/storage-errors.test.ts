import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointRecord } from 'xstate-checkpoint';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { buildChild } from '../crash/fs-build.js';
import { codeOf } from '../helpers/errors.js';

// Real ENOSPC and EROFS come from a small tmpfs. Mounting needs root (CI runs as root);
// elsewhere these tests skip with one line, also when CI is set: the same mapping is
// covered everywhere by the fault-injection tests (test/fs/faults.test.ts).
const mountPoint = mkdtempSync(join(tmpdir(), 'xsc-fs-tmpfs-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    console.log('fs storage-error tests skipped: mounting a tmpfs needs root (run as root, as CI does, to enable).');
    rmSync(mountPoint, { recursive: true, force: true });
    return false;
  }
})();
const isRoot = process.getuid?.() === 0;

afterAll(() => {
  if (!mounted) return;
  execFileSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

function generation(seq: number, size: number): CheckpointRecord {
  const payload = new Uint8Array(size).map((_, i) => (i * 13 + seq) & 0xff);
  const bytes = encodeEnvelope({ machine: 'm', version: 1, seq, epoch: 0, createdAt: seq, codec: 'raw' }, payload);
  return { seq, epoch: 0, createdAt: seq, byteLength: bytes.length, bytes };
}
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
/** Every error must name the fs adapter. */
const fsCodeOf = (promise: Promise<unknown>) => codeOf(promise, { adapter: 'fs' });
const temps = async (dir: string, key: string) =>
  (await readdir(join(dir, keyFolderName(key)))).filter((n) => n.startsWith('.tmp-'));

describe.runIf(mounted)('on a full disk (256 KiB tmpfs)', () => {
  it('rejects with storage-full, keeps the previous generation byte-identical and leaves no temp file', async () => {
    const dir = join(mountPoint, 'full');
    const adapter = fileAdapter({ dir });
    await adapter.write('k', generation(1, 1000));
    let seq = 2;
    let failures = 0;
    // Growing generations until the disk is full, several times over.
    for (let size = 20_000; failures < 4; size += 20_000) {
      const newest = (await adapter.list('k'))[0]!.seq;
      const code = await fsCodeOf(adapter.write('k', generation(seq, size)));
      if (code === 'ok') {
        await adapter.remove('k', newest - 1);
        seq++;
        continue;
      }
      failures++;
      expect(code).toBe('storage-full');
      expect((await adapter.list('k'))[0]?.seq).toBe(newest);
      const kept = await adapter.read('k', newest);
      expect(openEnvelope(kept!).header.seq).toBe(newest);
      expect(await temps(dir, 'k')).toEqual([]);
      size = 0;
      // Free the space: the next small save goes through, with the same seq.
      for (const g of (await adapter.list('k')).slice(1)) await adapter.remove('k', g.seq);
      expect(await fsCodeOf(adapter.write('k', generation(seq, 500)))).toBe('ok');
      seq++;
    }
    expect(failures).toBe(4);
  });
});

describe.runIf(mounted)('on a read-only file system', () => {
  it('lists, reads and restores; every write is refused with read-only', async () => {
    const dir = join(mountPoint, 'ro');
    const writer = fileAdapter({ dir });
    for (const seq of [1, 2]) await writer.write('order/1', generation(seq, 300));
    const q = await writer.quarantine('order/1', 1, 'corrupt: test');
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    try {
      const reader = fileAdapter({ dir });
      expect(await reader.keys()).toEqual(['order/1']);
      expect((await reader.list('order/1')).map((g) => g.seq)).toEqual([2]);
      expect(same(await reader.read('order/1', 2), generation(2, 300).bytes)).toBe(true);
      expect((await reader.listQuarantine()).map((x) => x.id)).toEqual([q.id]);
      expect(same(await reader.readQuarantined('order/1', q.id), generation(1, 300).bytes)).toBe(true);
      expect(await fsCodeOf(reader.write('order/1', generation(3, 300)))).toBe('read-only');
      expect(await fsCodeOf(reader.write('other', generation(1, 300)))).toBe('read-only');
      expect(await fsCodeOf(reader.quarantine('order/1', 2, 'x'))).toBe('read-only');
      expect(await fsCodeOf(reader.remove('order/1', 2))).toBe('read-only');
      expect(await fsCodeOf(reader.acquire!('order/1'))).toBe('read-only');
      expect(same(await reader.read('order/1', 2), generation(2, 300).bytes)).toBe(true);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    }
  });
});

describe.runIf(isRoot)('without write permission (a child process running as nobody)', () => {
  it('rejects with permission and leaves the stored generation alone', async () => {
    const work = await mkdtemp(join(tmpdir(), 'xsc-fs-eacces-'));
    try {
      await chmod(work, 0o755);
      const entry = await buildChild(join(work, 'build'));
      const dir = join(work, 'store');
      await mkdir(dir);
      await fileAdapter({ dir }).write('k', generation(1, 100));
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [entry, 'try-write', dir, 'k'], { uid: 65534, gid: 65534 });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', reject);
        child.on('close', () => resolve(out.trim()));
      });
      expect(output).toBe('error permission');
      const reader = fileAdapter({ dir });
      expect((await reader.list('k')).map((g) => g.seq)).toEqual([1]);
      expect(same(await reader.read('k', 1), generation(1, 100).bytes)).toBe(true);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
