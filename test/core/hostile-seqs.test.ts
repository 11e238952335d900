import { describe, expect, it } from 'vitest';
import { counter, countTo, reopen } from '../helpers/counter.js';
import { persistActor } from 'xstate-checkpoint';
import type { CheckpointAdapter, NewestRead } from 'xstate-checkpoint/adapter-kit';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

// Regression (redteam): one stray sequence from storage that is not a safe integer
// (a Redis sorted-set member "abc" or "3.5", a PostgreSQL bigint above 2^53) made
// the next seq NaN or unsafe: restore threw `encode`, or every later write failed.

async function storeWithThree() {
  const inner = memoryAdapter();
  await countTo(inner, 3);
  return inner;
}

/** The store as a damaged server store answers: `junk` among the sequences, and optionally as quarantined seq and epoch. */
function withJunk(inner: CheckpointAdapter, junk: number, viaReadNewest: boolean): CheckpointAdapter {
  const { readNewest: _own, ...rest } = inner;
  const list: CheckpointAdapter['list'] = async (key) => [
    { seq: junk, epoch: 0, byteLength: 1, createdAt: 0 },
    ...(await inner.list(key)),
  ];
  if (!viaReadNewest) return { ...rest, list };
  return {
    ...rest,
    list,
    readNewest: async (key): Promise<NewestRead> => {
      const seqs = (await inner.list(key)).map((g) => g.seq);
      const newest = { seq: seqs[0]!, bytes: (await inner.read(key, seqs[0]!))! };
      return { seqs: [junk, ...seqs], quarantinedSeq: junk, epoch: junk, newest };
    },
  };
}

describe('sequences from storage that are not safe integers are left out', () => {
  for (const junk of [Number.NaN, 3.5, 2 ** 53 + 2, -4]) {
    for (const viaReadNewest of [true, false]) {
      it(`${String(junk)} (${viaReadNewest ? 'readNewest' : 'list'}): the newest sound generation restores and the next write succeeds`, async () => {
        const inner = await storeWithThree();
        const adapter = withJunk(inner, junk, viaReadNewest);
        const errors: unknown[] = [];
        const again = await persistActor(counter, {
          key: 'k',
          adapter,
          flushOnExit: false,
          debounce: { wait: 0, maxWait: 0 },
          onError: (e) => errors.push(e),
        });
        expect(again.restored.seq).toBe(3);
        expect(again.actor.getSnapshot().context.count).toBe(3);
        again.actor.send({ type: 'INC' });
        await again.flush();
        await again.close();
        expect(errors).toEqual([]);
        expect((await inner.list('k')).map((g) => g.seq)[0]).toBe(4);
      });
    }
  }
});

describe('a listed generation whose bytes are missing (redteam)', () => {
  it('is reported and quarantined, not skipped in silence, and the next older one restores', async () => {
    const inner = await storeWithThree();
    const adapter: CheckpointAdapter = {
      ...inner,
      read: async (key, seq) => (seq === 3 ? undefined : inner.read(key, seq)),
    };
    const { persisted: again, errors } = await reopen(adapter);
    expect(again.restored.seq).toBe(2);
    expect(again.restored.rejected.map((r) => [r.seq, r.code])).toEqual([[3, 'corrupt']]);
    expect((await inner.listQuarantine('k')).map((q) => q.seq)).toEqual([3]);
    expect(errors.length).toBe(1); // the loud report of the passed-over generation
    await again.close();
  });

  it('a generation pruned between the listing and the read is still skipped without a report', async () => {
    const inner = await storeWithThree();
    let listed = 0;
    const adapter: CheckpointAdapter = {
      ...inner,
      list: async (key) => (listed++ === 0 ? inner.list(key) : (await inner.list(key)).filter((g) => g.seq !== 3)),
      read: async (key, seq) => (seq === 3 ? undefined : inner.read(key, seq)),
    };
    const again = await persistActor(counter, { key: 'k', adapter, flushOnExit: false });
    expect(again.restored.seq).toBe(2);
    expect(again.restored.rejected).toEqual([]);
    await again.close();
  });
});

describe('a store that hands back something other than bytes (redteam)', () => {
  it('null, a string, an ArrayBuffer or a plain object is corrupt with what it was, and the older one restores', async () => {
    for (const stored of [null, 'hello', new ArrayBuffer(16), { length: 1e12 }, [1, 2, 3]]) {
      const inner = await storeWithThree();
      const adapter: CheckpointAdapter = {
        ...inner,
        read: async (key, seq) => (seq === 3 ? (stored as unknown as Uint8Array) : inner.read(key, seq)),
      };
      const again = await persistActor(counter, { key: 'k', adapter, flushOnExit: false, onError: () => {} });
      expect(again.restored.seq).toBe(2);
      const [rejected] = again.restored.rejected;
      expect(rejected?.code).toBe('corrupt');
      expect(rejected?.message).toMatch(
        /the stored value is \[object (Null|String|ArrayBuffer|Object|Array)\], not bytes/,
      );
      await again.close();
    }
  });

  it('a Buffer or a Uint8Array of another realm still reads as bytes', async () => {
    const { runInNewContext } = await import('node:vm');
    const inner = await storeWithThree();
    const foreign = (bytes: Uint8Array) =>
      runInNewContext('(b) => { const u = new Uint8Array(b.length); u.set(b); return u; }')(bytes) as Uint8Array;
    for (const wrap of [(b: Uint8Array) => Buffer.from(b), foreign]) {
      const adapter: CheckpointAdapter = { ...inner, read: async (key, seq) => wrap((await inner.read(key, seq))!) };
      const again = await persistActor(counter, { key: 'k', adapter, flushOnExit: false });
      expect(again.restored.seq).toBe(3);
      expect(again.restored.rejected).toEqual([]);
      await again.close();
    }
  });
});
