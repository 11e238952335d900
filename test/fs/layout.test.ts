import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointRecord } from 'xstate-checkpoint';
import { isCheckpointError } from 'xstate-checkpoint';
import { crc32 } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, keyFolderName, type FileSystemLike } from 'xstate-checkpoint/adapters/fs';
import { faultyFs } from './faulty-fs.js';
import { SimFs } from './sim-fs.js';
import { codeOf } from '../helpers/errors.js';

const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});
let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xsc-fs-layout-'));
  scratch.push(dir);
});

const record = (seq: number, epoch = 0): CheckpointRecord => {
  const bytes = new TextEncoder().encode(`generation ${seq}`);
  return { seq, epoch, createdAt: 1_700_000_000_000 + seq, byteLength: bytes.length, bytes };
};
// Names Windows reserves in any case and with any extension.
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
const validKey = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }).filter((k) => !k.includes('\0'));

describe('key folder names', () => {
  it('are portable: lowercase-only, no separators, no reserved names, no trailing dot or space, short', () => {
    fc.assert(
      fc.property(validKey, (key) => {
        const name = keyFolderName(key);
        expect(name).toMatch(/^[kh]-[a-z0-9._-]*$/);
        expect(name).toBe(name.toLowerCase());
        expect(name).not.toMatch(RESERVED);
        expect(name).not.toMatch(/[. ]$/);
        expect(name.length).toBeLessThanOrEqual(120);
      }),
      { numRuns: 2000 },
    );
  });

  it('never collide, also when compared case-insensitively', () => {
    fc.assert(
      fc.property(fc.uniqueArray(validKey, { minLength: 2, maxLength: 50 }), (keys) => {
        const names = keys.map((k) => keyFolderName(k).toLowerCase());
        expect(new Set(names).size).toBe(keys.length);
      }),
      { numRuns: 500 },
    );
    const cases = ['Case', 'case', 'CASE', 'cAsE'];
    expect(new Set(cases.map(keyFolderName)).size).toBe(4);
  });

  it('hash long keys and keep the key in the folder for keys()', async () => {
    const long = 'Ü'.repeat(200);
    expect(keyFolderName(long)).toMatch(/^h-[0-9a-f]{40}-/);
    const adapter = fileAdapter({ dir });
    await adapter.write(long, record(1));
    await adapter.write('CON', record(1));
    expect((await adapter.keys()).sort()).toEqual(['CON', long].sort());
    expect(await readdir(join(dir, keyFolderName(long)))).toContain('key');
  });

  it('refuses to use a hashed folder whose stored key is another key', async () => {
    const long = 'x'.repeat(500);
    await fileAdapter({ dir }).write(long, record(1));
    await writeFile(join(dir, keyFolderName(long), 'key'), 'someone else');
    const error = await fileAdapter({ dir })
      .write(long, record(2))
      .catch((e: unknown) => e);
    expect(isCheckpointError(error) && error.code).toBe('io');
  });
});

describe('keys() over 10,000 keys', () => {
  it('costs one readdir of the root plus one readdir per key (no stat, no payload read)', async () => {
    const sim = new SimFs();
    sim.modelDurability = false;
    const store = fileAdapter({ dir: '/store', fs: sim });
    const keys = Array.from({ length: 10_000 }, (_, i) =>
      i % 100 === 0 ? `long/${'k'.repeat(200)}/${i}` : `actor-${i}`,
    );
    for (const key of keys) await store.write(key, record(1));
    const counting = faultyFs(sim);
    counting.arm();
    const listed = await fileAdapter({ dir: '/store', fs: counting.fs }).keys();
    expect(listed.sort()).toEqual([...keys].sort());
    const byMethod = new Map<string, number>();
    for (const call of counting.calls) byMethod.set(call.split(' ')[0]!, (byMethod.get(call.split(' ')[0]!) ?? 0) + 1);
    // Hashed keys (1 in 100) read their stored key; the others decode it from the folder name.
    expect(Object.fromEntries(byMethod)).toEqual({ readdir: 10_001, readFile: 100 });
  }, 60_000);
});

describe('reading', () => {
  it('never creates the store folder', async () => {
    const missing = join(dir, 'not-yet');
    const adapter = fileAdapter({ dir: missing });
    expect(await adapter.keys()).toEqual([]);
    expect(await adapter.list('k')).toEqual([]);
    expect(await adapter.read('k', 1)).toBeUndefined();
    expect(await adapter.listQuarantine()).toEqual([]);
    await expect(stat(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('loads node:fs/promises only on first use and uses an injected fs exclusively', async () => {
    const sim = new SimFs();
    const adapter = fileAdapter({ dir: '/s', fs: sim });
    await adapter.write('k', record(1));
    expect(await sim.readdir('/s')).toEqual(['k-k']);
    await expect(stat(join('/s'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('writing', () => {
  it('refuses a seq or epoch it cannot name a file after', async () => {
    const adapter = fileAdapter({ dir });
    expect(await codeOf(adapter.write('k', { ...record(1), seq: 0 }))).toBe('invalid-option');
    expect(await codeOf(adapter.write('k', { ...record(1), seq: 1.5 }))).toBe('invalid-option');
    expect(await codeOf(adapter.write('k', { ...record(1), epoch: -1 }))).toBe('invalid-option');
  });

  it('removes temp files of dead processes on this host, and only those', async () => {
    const adapter = fileAdapter({ dir });
    await adapter.write('k', record(1));
    const folder = join(dir, keyFolderName('k'));
    const host = crc32(new TextEncoder().encode(hostname())).toString(16).padStart(8, '0');
    const dead = `.tmp-${host}-999999999-aaaa`; // no such pid
    const live = `.tmp-${host}-${process.pid}-bbbb`;
    const foreign = `.tmp-00000000-999999999-cccc`;
    for (const name of [dead, live, foreign]) await writeFile(join(folder, name), 'x');
    await fileAdapter({ dir }).write('k', record(2));
    const names = await readdir(folder);
    expect(names).not.toContain(dead);
    expect(names).toContain(live);
    expect(names).toContain(foreign);
  });

  it('falls back to a checked rename where hard links are unsupported', async () => {
    const real = faultyFs();
    const noLinks: FileSystemLike = {
      ...real.fs,
      link: async () => {
        throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
      },
    };
    const adapter = fileAdapter({ dir, fs: noLinks });
    await adapter.write('k', record(1));
    await adapter.write('k', record(2));
    expect(await codeOf(adapter.write('k', record(2)))).toBe('conflict');
    expect((await fileAdapter({ dir }).list('k')).map((g) => g.seq)).toEqual([2, 1]);
    expect((await readdir(join(dir, keyFolderName('k')))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });
});

describe('generation file headers read as hostile (redteam)', () => {
  it('an epoch or time that is no safe integer (checksum intact) counts as a damaged header: writes are not fenced forever', async () => {
    const { persistActor } = await import('xstate-checkpoint');
    const { counter, reopen } = await import('../helpers/counter.js');
    const { readFile } = await import('node:fs/promises');
    for (const [offset, value] of [
      [16, Infinity],
      [16, 1e300],
      [16, 0.5],
      [24, Number.NaN],
      [24, -1],
    ] as const) {
      const store = join(dir, `${offset}-${String(value)}`);
      const adapter = fileAdapter({ dir: store });
      const first = await persistActor(counter, { key: 'k', adapter, flushOnExit: false, retain: { latest: 10 } });
      first.actor.send({ type: 'INC' });
      await first.close();
      const path = join(store, keyFolderName('k'), '0000000000000001.gen');
      const file = Buffer.from(await readFile(path));
      file.writeDoubleBE(value, offset);
      file.writeUInt32BE(crc32(file.subarray(0, 36)), 36);
      await writeFile(path, file);
      const { persisted: again, errors } = await reopen(adapter);
      expect(again.actor.getSnapshot().context.count, `${offset}=${value}`).toBe(1);
      again.actor.send({ type: 'INC' });
      await again.flush();
      await again.close();
      expect(errors, `${offset}=${value}`).toEqual([]);
      const listed = await adapter.list('k');
      expect(listed[0]?.seq, `${offset}=${value}`).toBe(2);
      for (const g of listed) expect(Number.isSafeInteger(g.epoch) && Number.isSafeInteger(g.createdAt)).toBe(true);
      await adapter.dispose();
    }
  });
});
