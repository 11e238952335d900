import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createMachine } from 'xstate';
import { persistActor, persistAll, type CheckpointAdapter, type NewestRead } from 'xstate-checkpoint';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { pgConfig } from './support.js';
import { describePostgres } from '../helpers/servers.js';

// postgresAdapter's readNewestMany: every key's readNewest in one statement, answered per key
// exactly as readNewest answers it alone, and what persistAll uses to restore many keys.

const bytesOf = (text: string) => new TextEncoder().encode(text);
const plain = (read: NewestRead | Error) =>
  read instanceof Error
    ? { code: (read as { code?: string }).code }
    : { ...read, newest: read.newest && { seq: read.newest.seq, text: new TextDecoder().decode(read.newest.bytes) } };

await describePostgres('postgres: readNewestMany', 'readmany', (env) => {
  let adapter: CheckpointAdapter;
  beforeAll(() => {
    adapter = postgresAdapter({ poolConfig: pgConfig(), schema: env.schema });
  });
  afterAll(() => adapter.dispose());

  const write = (key: string, seq: number, epoch = 0) =>
    adapter.write(key, { seq, epoch, createdAt: 0, byteLength: 3, bytes: bytesOf(`${key}#${seq}`.slice(0, 3)) });

  it('answers each key as readNewest does: written, quarantined, never written, refused, repeated', async () => {
    await write('a', 1);
    await write('a', 2, 3);
    await write('b', 1);
    await write('b', 2);
    await adapter.quarantine('b', 2, 'test');
    await write('c', 1);
    await adapter.quarantine('c', 1, 'test');
    const keys = ['a', 'b', 'c', 'never', '', 'a', 'ü-ключ'];
    const many = await adapter.readNewestMany!(keys);
    expect(many).toHaveLength(keys.length);
    const alone = await Promise.all(keys.map((key) => adapter.readNewest!(key).catch((e: Error) => e)));
    expect(many.map(plain)).toEqual(alone.map(plain));
    expect(plain(many[0]!)).toMatchObject({ seqs: [2, 1], epoch: 3, newest: { seq: 2 } });
    expect(plain(many[1]!)).toMatchObject({ seqs: [1], quarantinedSeq: 2, newest: { seq: 1 } });
    expect(plain(many[2]!)).toEqual({ seqs: [], quarantinedSeq: 1, epoch: 0, newest: undefined });
    expect(plain(many[4]!)).toEqual({ code: 'invalid-key' });
  });

  it('persistAll restores many keys through one readNewestMany per batch, each key as persistActor would', async () => {
    const machine = createMachine({ id: 'order', context: { n: 0 }, on: { INC: { actions: () => undefined } } });
    const keys = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    for (const key of keys.slice(0, 30)) {
      const p = await persistActor(machine, { key, adapter, flushOnExit: false });
      await p.flush();
      await p.close();
    }
    const many = vi.spyOn(adapter, 'readNewestMany');
    const alone = vi.spyOn(adapter, 'readNewest');
    const { actors, failed } = await persistAll(machine, keys, { adapter, flushOnExit: false });
    expect([actors.size, failed.size]).toEqual([40, 0]);
    expect(many).toHaveBeenCalled();
    expect(alone).not.toHaveBeenCalled();
    expect(keys.map((key) => actors.get(key)!.restored.source)).toEqual([
      ...keys.slice(0, 30).map(() => 'checkpoint'),
      ...keys.slice(30).map(() => 'fresh'),
    ]);
    await Promise.all([...actors.values()].map((a) => a.close()));
  });
});
