import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { taggedJsonCodec, type Codec } from 'xstate-checkpoint';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { withParts } from '../../src/on-demand.js';
import { resolveOptions } from '../../src/options.js';
import { errorOf } from '../helpers/errors.js';

const machine = createMachine({ id: 'cart' });
const other: Codec = { id: 'other', encode: taggedJsonCodec.encode, decode: taggedJsonCodec.decode };

describe('resolveOptions: one check and one set of defaults for both modes', () => {
  it('fills in every default', async () => {
    const o = resolveOptions(machine, { key: 'cart-1', adapter: memoryAdapter() });
    expect(o.restore).toMatchObject({ machineId: 'cart', version: 1 });
    // taggedJsonCodec in two parts (src/codec/default.ts): its id, its bytes, its values back.
    expect(o.codec.id).toBe(taggedJsonCodec.id);
    expect(o.codecs).toEqual([o.codec]);
    for (const value of [
      { n: 1, tags: ['a'] },
      { at: new Date(0), seen: new Set([1]), n: -0 },
    ]) {
      const bytes = await withParts(() => o.codec.encode(value));
      expect(bytes).toEqual(taggedJsonCodec.encode(value));
      expect(await withParts(() => o.codec.decode(bytes))).toEqual(taggedJsonCodec.decode(bytes));
    }
    expect(o.debounce).toEqual({ wait: 100, maxWait: 1000 });
    expect(o.retain).toEqual({});
    expect(o.onRestoreError).toBe('fallback');
    expect([o.lock, o.follow, o.journal]).toEqual([undefined, undefined, undefined]);
    expect([o.start, o.flushOnExit]).toEqual([true, true]);
    expect(o.actorOptions).toEqual({});
  });

  it('lists the write codec first and drops read codecs with the same id', () => {
    const o = resolveOptions(machine, {
      key: 'k',
      adapter: memoryAdapter(),
      codec: other,
      readCodecs: [taggedJsonCodec, { ...other }],
    });
    expect(o.codecs.map((c) => c.id)).toEqual(['other', taggedJsonCodec.id]);
  });

  it('passes only the actor options XState takes, and only those given', () => {
    const o = resolveOptions(machine, { key: 'k', adapter: memoryAdapter(), id: 'a', input: undefined, systemId: 's' });
    expect(o.actorOptions).toEqual({ id: 'a', systemId: 's' });
  });

  it('fills in journal defaults and checks them', () => {
    const o = resolveOptions(machine, { key: 'k', adapter: memoryAdapter(), journal: { compactEvery: 5 } });
    expect(o.journal).toEqual({ compactEvery: 5, compactAfterMs: 60_000, verifyReplay: true, compactOnClose: true });
    const error = errorOf(() =>
      resolveOptions(machine, { key: 'k', adapter: memoryAdapter(), journal: { compactEvery: 0 } }),
    );
    expect([error.code, error.detail]).toEqual(['invalid-option', '`journal.compactEvery` must be an integer >= 1']);
  });

  it('refuses follow in journal mode before anything else, and follow without lock', () => {
    const both = errorOf(() =>
      resolveOptions(machine, { key: '', adapter: memoryAdapter(), journal: true, follow: true }),
    );
    expect(both.detail).toBe('`follow` is not available in journal mode');
    const unlocked = errorOf(() => resolveOptions(machine, { key: 'k', adapter: memoryAdapter(), follow: true }));
    expect(unlocked.detail).toMatch(/`follow` needs `lock`/);
  });

  it('refuses journal mode on an adapter without a journal, in both entry points alike', () => {
    const { journal: _journal, ...plain } = memoryAdapter();
    const error = errorOf(() => resolveOptions(machine, { key: 'k', adapter: plain, journal: true }));
    expect(error.code).toBe('invalid-option');
    expect(error.detail).toMatch(/needs an adapter with a journal/);
  });
});

describe('callback options of the wrong type (redteam)', () => {
  it('are refused at start-up with invalid-option, not met as a TypeError inside a restore report', async () => {
    const { persistActor } = await import('xstate-checkpoint');
    const machine = createMachine({ id: 'm' });
    for (const name of ['logger', 'onError', 'onEvent'] as const) {
      const adapter = memoryAdapter();
      const options = { key: 'k', adapter, flushOnExit: false, [name]: { warn() {} } } as never;
      await expect(persistActor(machine, options), name).rejects.toMatchObject({
        code: 'invalid-option',
        detail: `\`${name}\` must be a function`,
      });
      expect(await adapter.keys(), name).toEqual([]);
    }
  });
});
