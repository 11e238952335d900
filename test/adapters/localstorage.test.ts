import { describe, expect, it } from 'vitest';
import { localStorageAdapter } from 'xstate-checkpoint/adapters/localstorage';
import type { StorageLike } from 'xstate-checkpoint/adapters/localstorage';
import { expectBytes, record, runAdapterConformance } from '../conformance/suite.js';
import { errorOf } from '../helpers/errors.js';

/** Web Storage in memory, with a quota counted like browsers do (UTF-16 units of names and values). */
class MemoryStorage implements StorageLike {
  readonly items = new Map<string, string>();
  constructor(public quota = Infinity) {}
  get length() {
    return this.items.size;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(name: string) {
    return this.items.get(name) ?? null;
  }
  setItem(name: string, value: string) {
    let used = name.length + value.length;
    for (const [n, v] of this.items) if (n !== name) used += n.length + v.length;
    if (used > this.quota)
      throw new DOMException(`Setting the value of '${name}' exceeded the quota.`, 'QuotaExceededError');
    this.items.set(name, String(value));
  }
  removeItem(name: string) {
    this.items.delete(name);
  }
}

let storage = new MemoryStorage();
runAdapterConformance('localstorage', [localStorageAdapter], {
  create: () => {
    storage = new MemoryStorage();
    return localStorageAdapter({ storage });
  },
  createPeer: () => localStorageAdapter({ storage }),
});

describe('localStorageAdapter', () => {
  it('rejects a write over the quota with storage-full and keeps the previous generation', async () => {
    const small = new MemoryStorage(4000);
    const adapter = localStorageAdapter({ storage: small });
    await adapter.write('k', record(1, 0, 1000));
    const before = new Map(small.items);
    const error = await errorOf(adapter.write('k', record(2, 0, 3000)));
    expect(error.code).toBe('storage-full');
    expect(error.key).toBe('k');
    expect(error.seq).toBe(2);
    expect(small.items).toEqual(before);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
    expectBytes(await adapter.read('k', 1), record(1, 0, 1000).bytes);
  });

  it('removes the new bytes again when only the index update hits the quota', async () => {
    const tight = new MemoryStorage();
    const adapter = localStorageAdapter({ storage: tight });
    await adapter.write('k', record(1, 0, 100));
    const used = [...tight.items].reduce((n, [k, v]) => n + k.length + v.length, 0);
    // Room for the base64 bytes of generation 2, not for the index that grows with it.
    tight.quota = used + 'xsc:g:2:k'.length + Math.ceil(150 / 3) * 4 + 5;
    const error = await errorOf(adapter.write('k', record(2, 0, 150)));
    expect(error.code).toBe('storage-full');
    expect(tight.getItem('xsc:g:2:k')).toBeNull();
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([1]);
    expectBytes(await adapter.read('k', 1), record(1, 0, 100).bytes);
  });

  it('keeps to its prefix and ignores the app items next to it', async () => {
    const shared = new MemoryStorage();
    shared.setItem('app:theme', 'dark');
    shared.setItem('xsc:m:looks-like-ours', '{"top":0');
    const a = localStorageAdapter({ storage: shared, prefix: 'one:' });
    const b = localStorageAdapter({ storage: shared, prefix: 'two:' });
    await a.write('k', record(1));
    await b.write('k', record(1, 0, 7));
    expect(await a.keys()).toEqual(['k']);
    expectBytes(await a.read('k', 1), record(1).bytes);
    expectBytes(await b.read('k', 1), record(1, 0, 7).bytes);
    expect(shared.getItem('app:theme')).toBe('dark');
  });

  it('stores every byte value through base64', async () => {
    const adapter = localStorageAdapter({ storage: new MemoryStorage() });
    const bytes = Uint8Array.from({ length: 256 * 3 }, (_, i) => i & 0xff);
    await adapter.write('k', { seq: 1, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
    expectBytes(await adapter.read('k', 1), bytes);
  });

  it('a damaged index (bad JSON, wrong shapes, bad numbers, repeated or unpublished seqs) is rebuilt from the stored generations, loudly', async () => {
    const bytes = (n: number) => new Uint8Array([n, n, n, n]);
    const damaged = [
      '{not json',
      '{"gens":5}',
      'null',
      '[]',
      '{"top":3,"epoch":0,"gens":[{"seq":"3","epoch":0,"byteLength":4,"createdAt":3}],"quarantine":[]}',
      '{"top":3,"epoch":0,"gens":[{"seq":3,"epoch":-1,"byteLength":4,"createdAt":3}],"quarantine":[]}',
      '{"top":3,"epoch":0,"gens":[{"seq":3,"epoch":0,"byteLength":4,"createdAt":3},{"seq":3,"epoch":0,"byteLength":4,"createdAt":3}],"quarantine":[]}',
      '{"top":1,"epoch":0,"gens":[{"seq":3,"epoch":0,"byteLength":4,"createdAt":3}],"quarantine":[]}',
      '{"top":3,"epoch":0,"gens":[],"quarantine":[{"seq":2,"epoch":0,"byteLength":4,"createdAt":2,"id":"q2","key":"other","reason":"x","quarantinedAt":1}]}',
      '{"__proto__":{"top":3},"epoch":0,"gens":[],"quarantine":[]}',
    ];
    for (const text of damaged) {
      const s = new MemoryStorage();
      const warnings: string[] = [];
      const adapter = localStorageAdapter({ storage: s, onWarning: (m) => warnings.push(m) });
      for (const seq of [1, 2, 3])
        await adapter.write('a:b', { seq, epoch: 0, createdAt: seq, byteLength: 4, bytes: bytes(seq) });
      await adapter.write('b', { seq: 7, epoch: 0, createdAt: 7, byteLength: 4, bytes: bytes(7) });
      s.setItem('xsc:m:a:b', text);
      // Every stored generation is listed again, none of another key, and each reads back whole.
      expect(
        (await adapter.list('a:b')).map((g) => [g.seq, g.byteLength]),
        text,
      ).toEqual([
        [3, 4],
        [2, 4],
        [1, 4],
      ]);
      for (const seq of [1, 2, 3]) expectBytes(await adapter.read('a:b', seq), bytes(seq));
      // Said once, though every call until the next write rebuilds it.
      expect(warnings, text).toHaveLength(1);
      expect(warnings[0], text).toMatch(/index of "a:b" is damaged; rebuilt from its 3 stored generation/);
      // No later write reuses a stored sequence.
      const error = await errorOf(
        adapter.write('a:b', { seq: 3, epoch: 0, createdAt: 9, byteLength: 4, bytes: bytes(9) }),
      );
      expect(error.code, text).toBe('conflict');
      expectBytes(await adapter.read('a:b', 3), bytes(3));
      await adapter.write('a:b', { seq: 4, epoch: 0, createdAt: 4, byteLength: 4, bytes: bytes(4) });
      expect((await adapter.list('a:b')).map((g) => g.seq)).toEqual([4, 3, 2, 1]);
      // The write left a whole index again: no more warnings.
      const before = warnings.length;
      await adapter.list('a:b');
      expect(warnings.length, text).toBe(before);
    }
  });

  it('a sound index with every field still reads as written', async () => {
    const s = new MemoryStorage();
    const warnings: string[] = [];
    const adapter = localStorageAdapter({ storage: s, onWarning: (m) => warnings.push(m) });
    const bytes = new Uint8Array([1, 2, 3]);
    await adapter.write('k', { seq: 1, epoch: 0, createdAt: 5, byteLength: 3, bytes });
    await adapter.write('k', { seq: 2, epoch: 0, createdAt: 6, byteLength: 3, bytes });
    const q = await adapter.quarantine('k', 2, 'decode: test');
    expect(await adapter.list('k')).toEqual([{ seq: 1, epoch: 0, byteLength: 3, createdAt: 5 }]);
    expect(await adapter.listQuarantine('k')).toEqual([q]);
    expect(warnings).toEqual([]);
  });

  it('says how to fix a missing localStorage', async () => {
    const error = await errorOf(localStorageAdapter().list('k'));
    expect(error.code).toBe('invalid-option');
    expect(error.message).toContain('options.storage');
  });
});

describe('an index listing its generations oldest first (redteam)', () => {
  it('still restores the newest generation', async () => {
    const { persistActor } = await import('xstate-checkpoint');
    const { counter, countTo } = await import('../helpers/counter.js');
    const storage = new MemoryStorage();
    await countTo(localStorageAdapter({ storage }), 3);
    const meta = JSON.parse(storage.getItem('xsc:m:k')!) as { gens: unknown[] };
    meta.gens.reverse();
    storage.setItem('xsc:m:k', JSON.stringify(meta));
    const again = await persistActor(counter, {
      key: 'k',
      adapter: localStorageAdapter({ storage }),
      flushOnExit: false,
    });
    expect(again.restored.seq).toBe(3);
    expect(again.actor.getSnapshot().context.count).toBe(3);
    await again.close();
  });
});
