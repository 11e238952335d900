import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assign, createActor, setup } from 'xstate';
import {
  isCheckpointError,
  persistActor,
  persistAll,
  taggedJsonCodec,
  type CheckpointAdapter,
  type CheckpointError,
  type NewestRead,
  type PersistedActor,
} from 'xstate-checkpoint';
import { encodeEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';

const counter = setup({ types: { context: {} as { n: number } } }).createMachine({
  id: 'counter',
  context: { n: 0 },
  initial: 'idle',
  states: { idle: { on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } } } },
});

let dir = '';
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'xsc-restore-many-'));
});
afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

/** Writes generation `seq` of `key` holding a counter at `n` (padded to `pad` bytes of notes). */
async function put(adapter: CheckpointAdapter, key: string, seq: number, n: number, pad = 0): Promise<void> {
  const actor = createActor(counter).start();
  for (let i = 0; i < n; i++) actor.send({ type: 'INC' });
  const snapshot = { ...(actor.getPersistedSnapshot() as object), notes: 'x'.repeat(pad) };
  actor.stop();
  const payload = taggedJsonCodec.encode({ snapshot, timers: [] });
  const fields = { machine: 'counter', version: 1, seq, epoch: 0, createdAt: 1, codec: taggedJsonCodec.id };
  const bytes = encodeEnvelope(fields, payload);
  await adapter.write(key, { seq, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });
}
const genPath = (key: string, seq: number) => join(dir, keyFolderName(key), `${String(seq).padStart(16, '0')}.gen`);

/** Keys in every state a key folder can be in. */
async function seedStates(adapter: CheckpointAdapter): Promise<string[]> {
  await put(adapter, 'plain', 1, 1);
  await put(adapter, 'plain', 2, 2);
  await put(adapter, 'quarantined', 1, 1);
  await put(adapter, 'quarantined', 2, 2);
  await put(adapter, 'quarantined', 3, 3);
  await adapter.quarantine('quarantined', 3, 'test');
  await put(adapter, 'locked', 1, 4);
  const lease = await adapter.acquire!('locked');
  await lease.release();
  await put(adapter, 'damaged-header', 1, 1);
  await put(adapter, 'damaged-header', 2, 2);
  const file = await fsp.readFile(genPath('damaged-header', 2));
  file[3]! ^= 0xff;
  await fsp.writeFile(genPath('damaged-header', 2), file);
  await put(adapter, 'damaged-payload', 1, 1);
  await put(adapter, 'damaged-payload', 2, 2);
  const payload = await fsp.readFile(genPath('damaged-payload', 2));
  payload[payload.length - 3]! ^= 0x01;
  await fsp.writeFile(genPath('damaged-payload', 2), payload);
  await put(adapter, 'trailing', 1, 1);
  await fsp.appendFile(genPath('trailing', 1), 'junk');
  await put(adapter, 'big', 1, 5, 40_000);
  await put(adapter, `long-${'x'.repeat(200)}`, 1, 6);
  return [
    'plain',
    'quarantined',
    'locked',
    'damaged-header',
    'damaged-payload',
    'trailing',
    'big',
    `long-${'x'.repeat(200)}`,
    'never',
  ];
}

describe('fileAdapter readNewestMany', () => {
  it('answers for each key what readNewest answers, in every folder state, in order', async () => {
    const adapter = fileAdapter({ dir });
    const keys = await seedStates(adapter);
    const many = await adapter.readNewestMany!(keys);
    const one = await Promise.all(keys.map((k) => adapter.readNewest!(k)));
    expect(many).toEqual(one);
    // The states differ where a shortcut could go wrong: quarantined seq kept, damaged header listed.
    expect(one.map((r) => r.quarantinedSeq)).toEqual([0, 3, 0, 0, 0, 0, 0, 0, 0]);
    expect(one.map((r) => r.newest?.seq)).toEqual([2, 2, 1, 2, 2, 1, 1, 1, undefined]);
    await adapter.dispose();
  });

  it('gives the same answers through an injected file system (no synchronous path)', async () => {
    const writer = fileAdapter({ dir });
    const keys = await seedStates(writer);
    const expected = await writer.readNewestMany!(keys);
    const injected = fileAdapter({ dir, fs: fsp });
    // Bytes compared as bytes: an injected readFile may hand out Buffers.
    const plain = (found: Array<NewestRead | CheckpointError>) =>
      found.map((r) => ('newest' in r && r.newest ? { ...r, newest: { ...r.newest, bytes: [...r.newest.bytes] } } : r));
    expect(plain(await injected.readNewestMany!(keys))).toEqual(plain(expected));
    await Promise.all([writer.dispose(), injected.dispose()]);
  });

  it('gives a bad key its typed error in its place and still answers the others', async () => {
    const adapter = fileAdapter({ dir });
    await put(adapter, 'a', 1, 1);
    const [bad, good] = await adapter.readNewestMany!(['', 'a']);
    expect(isCheckpointError(bad) && bad.code).toBe('invalid-key');
    expect(isCheckpointError(good) ? good.code : good?.newest?.seq).toBe(1);
    await adapter.dispose();
  });

  it('sees a generation written after an earlier call (nothing is cached)', async () => {
    const adapter = fileAdapter({ dir });
    await put(adapter, 'a', 1, 1);
    expect((await adapter.readNewestMany!(['a']))[0]).toMatchObject({ newest: { seq: 1 } });
    await put(adapter, 'a', 2, 2);
    expect((await adapter.readNewestMany!(['a']))[0]).toMatchObject({ seqs: [2, 1], newest: { seq: 2 } });
    await adapter.dispose();
  });
});

describe('persistAll', () => {
  const summary = (p: PersistedActor<typeof counter>) => ({
    source: p.restored.source,
    seq: p.restored.seq,
    rejected: p.restored.rejected.map((r) => [r.seq, r.code, r.quarantined]),
    n: p.actor.getSnapshot().context.n,
  });

  it('restores each key as persistActor does, falling back from a damaged newest generation', async () => {
    const adapter = fileAdapter({ dir });
    const keys = await seedStates(adapter);
    const { actors, failed } = await persistAll(counter, keys, { adapter, flushOnExit: false });
    expect([...failed.keys()]).toEqual([]);
    expect([...actors.keys()]).toEqual(keys);
    const got = [...actors.values()].map(summary);
    expect(got.map((g) => [g.source, g.seq, g.n])).toEqual([
      ['checkpoint', 2, 2],
      ['checkpoint', 2, 2],
      ['checkpoint', 1, 4],
      ['checkpoint', 2, 2], // a damaged file header, but the envelope in it is whole
      ['checkpoint', 1, 1], // generation 2's damaged payload went to quarantine
      ['fresh', undefined, 0], // its only generation has trailing bytes
      ['checkpoint', 1, 5],
      ['checkpoint', 1, 6],
      ['fresh', undefined, 0],
    ]);
    expect(got[4]!.rejected).toEqual([[2, 'corrupt', true]]);
    expect((await adapter.listQuarantine('damaged-payload')).map((q) => q.seq)).toEqual([2]);
    await Promise.all([...actors.values()].map((p) => p.close()));

    // The same keys one by one, in a fresh copy of the same store state, agree.
    const again = await fsp.mkdtemp(join(tmpdir(), 'xsc-restore-many-'));
    const second = fileAdapter({ dir: again });
    await seedStatesInto(second, again);
    const single = [];
    for (const key of keys) single.push(await persistActor(counter, { key, adapter: second, flushOnExit: false }));
    expect(single.map(summary)).toEqual(got);
    await Promise.all(single.map((p) => p.close()));
    await Promise.all([adapter.dispose(), second.dispose()]);
    await fsp.rm(again, { recursive: true, force: true });
  });

  it('writes on from the restored generation and keeps quarantined sequences taken', async () => {
    const adapter = fileAdapter({ dir });
    await seedStates(adapter);
    const { actors } = await persistAll(counter, ['quarantined', 'plain'], { adapter, flushOnExit: false });
    for (const p of actors.values()) p.actor.send({ type: 'INC' });
    const flushed = await Promise.all([...actors.values()].map((p) => p.flush()));
    expect(flushed.map((f) => f?.seq)).toEqual([4, 3]);
    await Promise.all([...actors.values()].map((p) => p.close()));
    await adapter.dispose();
  });

  it('takes each key lock with `lock`, and reports a held one in `failed`', async () => {
    const adapter = fileAdapter({ dir });
    await put(adapter, 'a', 1, 3);
    await put(adapter, 'b', 1, 4);
    const other = fileAdapter({ dir });
    const held = await other.acquire!('b');
    const { actors, failed } = await persistAll(counter, ['a', 'b'], { adapter, lock: true, flushOnExit: false });
    expect(actors.get('a')?.actor.getSnapshot().context.n).toBe(3);
    expect(failed.get('b')?.code).toBe('lock-held');
    await held.release();
    await Promise.all([...actors.values()].map((p) => p.close()));
    await Promise.all([adapter.dispose(), other.dispose()]);
  });

  it('gives each key its own options through perKey, and refuses duplicate keys', async () => {
    const adapter = fileAdapter({ dir });
    const { actors } = await persistAll(counter, ['x', 'y'], {
      adapter,
      flushOnExit: false,
      perKey: (key) => (key === 'y' ? { start: false } : {}),
    });
    expect(actors.get('x')?.actor.getSnapshot().status).toBe('active');
    expect((actors.get('y')?.actor as unknown as { _processingStatus: number })._processingStatus).toBe(0);
    await Promise.all([...actors.values()].map((p) => p.close()));
    await expect(persistAll(counter, ['x', 'x'], { adapter })).rejects.toMatchObject({ code: 'invalid-option' });
    // The first key met again is named, wherever its twin is.
    await expect(persistAll(counter, ['a', 'b', 'c', 'b', 'a'], { adapter })).rejects.toMatchObject({
      code: 'invalid-option',
      key: 'b',
    });
    await adapter.dispose();
  });
});

/** {@link seedStates} into another folder (the quarantine and lock make it stateful, so it is rebuilt). */
async function seedStatesInto(adapter: CheckpointAdapter, into: string): Promise<void> {
  const saved = dir;
  dir = into;
  try {
    await seedStates(adapter);
  } finally {
    dir = saved;
  }
}
