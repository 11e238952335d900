import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CheckpointAdapter } from 'xstate-checkpoint';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { pgConfig } from './support.js';
import { codeOf } from '../helpers/errors.js';
import { describePostgres } from '../helpers/servers.js';

const WRITERS = 8;

const bytesOf = (text: string) => new TextEncoder().encode(text);

await describePostgres('postgres: concurrent writers on one key', 'cas', (env) => {
  let writers: CheckpointAdapter[] = [];

  beforeAll(async () => {
    // Separate pools: separate connections, as separate processes would have.
    writers = Array.from({ length: WRITERS }, () =>
      postgresAdapter({ poolConfig: { ...pgConfig(), max: 1 }, schema: env.schema }),
    );
  });
  afterAll(async () => {
    await Promise.all(writers.map((w) => w.dispose()));
  });

  const stored = async (key: string) => {
    const { rows } = await env.admin.query<{ seq: string; payload: Buffer }>(
      `SELECT seq, payload FROM "${env.schema}".xstate_checkpoints WHERE key = $1 ORDER BY seq`,
      [key],
    );
    return new Map(rows.map((r) => [Number(r.seq), r.payload.toString('utf8')]));
  };

  it('8 writers saving read-modify-write: every acknowledged save is stored, the rest are conflicts (0 silent overwrites)', async () => {
    const key = 'shared-order';
    const acked = new Map<number, string>();
    const codes: string[] = [];
    const perWriter = 12;
    await Promise.all(
      writers.map(async (adapter, w) => {
        let mine = 0;
        for (let attempt = 0; mine < perWriter && attempt < 400; attempt++) {
          const newest = (await adapter.list(key))[0]?.seq ?? 0;
          const text = `writer ${w} attempt ${attempt} after ${newest}`;
          const bytes = bytesOf(text);
          const code = await codeOf(
            adapter.write(key, { seq: newest + 1, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes }),
          );
          codes.push(code);
          if (code === 'ok') {
            // Two acknowledgements for one sequence would be an overwrite.
            expect(acked.has(newest + 1), `seq ${newest + 1} acknowledged twice`).toBe(false);
            acked.set(newest + 1, text);
            mine++;
          }
        }
        expect(mine).toBe(perWriter);
      }),
    );
    expect(codes.filter((c) => c !== 'ok' && c !== 'conflict')).toEqual([]);
    expect(codes.filter((c) => c === 'conflict').length).toBeGreaterThan(0);
    const rows = await stored(key);
    expect(rows.size).toBe(WRITERS * perWriter);
    for (const [seq, text] of acked) expect(rows.get(seq), `acknowledged seq ${seq}`).toBe(text);
    expect([...rows.keys()]).toEqual(Array.from({ length: rows.size }, (_, i) => i + 1));
  });

  it('8 blind writers of the same sequences: exactly one winner per sequence, its bytes stored', async () => {
    const key = 'blind';
    const seqs = 25;
    const winners = new Map<number, string[]>();
    await Promise.all(
      writers.map(async (adapter, w) => {
        for (let seq = 1; seq <= seqs; seq++) {
          const text = `blind writer ${w} seq ${seq}`;
          const bytes = bytesOf(text);
          const code = await codeOf(
            adapter.write(key, { seq, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes }),
          );
          expect(['ok', 'conflict']).toContain(code);
          if (code === 'ok') winners.set(seq, [...(winners.get(seq) ?? []), text]);
        }
      }),
    );
    const rows = await stored(key);
    for (const [seq, texts] of winners) {
      expect(texts, `winners of seq ${seq}`).toHaveLength(1);
      expect(rows.get(seq)).toBe(texts[0]);
    }
    // A sequence nobody won was skipped because a higher one was already published, never lost.
    for (const seq of rows.keys()) expect(winners.has(seq)).toBe(true);
    expect(Math.max(...rows.keys())).toBe(seqs);
  });

  it('a writer that publishes a higher sequence first makes a concurrent lower one a conflict', async () => {
    const key = 'ordering';
    const [a, b] = writers as [CheckpointAdapter, CheckpointAdapter];
    const rec = (seq: number) => ({ seq, epoch: 0, createdAt: 1, byteLength: 1, bytes: new Uint8Array([seq]) });
    await a.write(key, rec(5));
    expect(await codeOf(b.write(key, rec(4)))).toBe('conflict');
    expect(await codeOf(b.write(key, rec(5)))).toBe('conflict');
    await b.write(key, rec(6));
    expect((await a.list(key)).map((g) => g.seq)).toEqual([6, 5]);
  });
});
