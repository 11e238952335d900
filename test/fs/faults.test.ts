import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointErrorCode, CheckpointRecord } from 'xstate-checkpoint';
import { isCheckpointError } from 'xstate-checkpoint';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { faultyFs, type FaultPlan } from './faulty-fs.js';

const KEY = 'Order/1';
const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

/** A generation whose envelope content follows from its seq. */
function generation(seq: number): CheckpointRecord {
  const payload = new TextEncoder().encode(
    JSON.stringify({ seq, items: Array.from({ length: 40 }, (_, i) => i * seq) }),
  );
  const bytes = encodeEnvelope(
    { machine: 'order', version: 1, seq, epoch: 0, createdAt: 1_700_000_000_000 + seq, codec: 'json' },
    payload,
  );
  return { seq, epoch: 0, createdAt: 1_700_000_000_000 + seq, byteLength: bytes.length, bytes };
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

type Phase = 'new key' | 'first save of a process' | 'later save';

interface Run {
  outcome: 'ok' | CheckpointErrorCode;
  newest: number | undefined;
  temps: string[];
  injected: number;
  calls: string[];
}

/** One save with a fault plan; checks the store afterwards and that the adapter keeps working. */
async function saveWithFault(phase: Phase, plan: FaultPlan | undefined): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'xsc-fs-faults-'));
  scratch.push(dir);
  const written = new Map<number, Uint8Array>();
  let seq = 1;
  if (phase !== 'new key') {
    await fileAdapter({ dir }).write(KEY, generation(seq));
    written.set(seq, generation(seq).bytes);
    seq++;
  }
  const faulty = faultyFs();
  const adapter = fileAdapter({ dir, fs: faulty.fs });
  if (phase === 'later save') {
    await adapter.write(KEY, generation(seq));
    written.set(seq, generation(seq).bytes);
    seq++;
  }
  const old = seq - 1;
  faulty.arm(plan);
  let outcome: Run['outcome'] = 'ok';
  try {
    await adapter.write(KEY, generation(seq));
  } catch (error) {
    if (!isCheckpointError(error)) throw error;
    expect(error.key).toBe(KEY);
    expect(error.adapter).toBe('fs');
    outcome = error.code;
  }
  const calls = [...faulty.calls];
  const injected = faulty.injected;
  faulty.disarm();
  written.set(seq, generation(seq).bytes);

  // What a restore sees: every listed generation opens and holds exactly what was written for its seq.
  const reader = fileAdapter({ dir });
  const list = await reader.list(KEY);
  for (const g of list) {
    const bytes = await reader.read(KEY, g.seq);
    expect(sameBytes(bytes, written.get(g.seq)!), `generation ${g.seq} intact`).toBe(true);
    expect(openEnvelope(bytes!).header.seq).toBe(g.seq);
  }
  const newest = list[0]?.seq;
  if (outcome === 'ok') expect(newest, 'an acknowledged save is the newest').toBe(seq);
  else expect([old === 0 ? undefined : old, seq], 'old or new').toContain(newest);
  const temps = (await readdir(join(dir, keyFolderName(KEY))).catch(() => [])).filter((n) => n.startsWith('.tmp-'));

  // The adapter keeps working after the fault: the next save goes through.
  const next = Math.max(seq, newest ?? 0) + 1;
  await adapter.write(KEY, generation(next));
  expect(sameBytes(await reader.read(KEY, next), generation(next).bytes)).toBe(true);
  return { outcome, newest, temps, injected, calls };
}

describe('fault injection: fail the Nth I/O call of a save, for every N', () => {
  for (const phase of ['new key', 'first save of a process', 'later save'] as const) {
    for (const mode of ['once', 'always'] as const) {
      it(`${phase}, ${mode}: old or new generation intact, typed errors`, async () => {
        const { calls } = await saveWithFault(phase, undefined);
        expect(calls.length).toBeGreaterThanOrEqual(10);
        const outcomes = new Map<string, number>();
        for (let at = 1; at <= calls.length; at++) {
          const run = await saveWithFault(phase, { at, mode });
          expect(run.injected, `call ${at} (${calls[at - 1]}) failed`).toBeGreaterThan(0);
          expect(['ok', 'io'], `call ${at} (${calls[at - 1]})`).toContain(run.outcome);
          if (mode === 'once') expect(run.temps, `temp files after failing ${calls[at - 1]}`).toEqual([]);
          outcomes.set(run.outcome, (outcomes.get(run.outcome) ?? 0) + 1);
        }
        // Most calls matter: failing them must fail the save rather than be swallowed.
        expect(outcomes.get('io') ?? 0).toBeGreaterThan(calls.length / 2);
      });
    }
  }

  const mapping: Array<[string, CheckpointErrorCode]> = [
    ['ENOSPC', 'storage-full'],
    ['EDQUOT', 'storage-full'],
    ['EACCES', 'permission'],
    ['EPERM', 'permission'],
    ['EROFS', 'read-only'],
    ['EIO', 'io'],
    ['EBUSY', 'io'],
  ];
  it.each(mapping)('maps %s to %s at every call', async (code, expected) => {
    const { calls } = await saveWithFault('later save', undefined);
    let typed = 0;
    for (let at = 1; at <= calls.length; at++) {
      const run = await saveWithFault('later save', { at, mode: 'once', code });
      expect(['ok', expected], `${code} at ${calls[at - 1]}`).toContain(run.outcome);
      expect(run.temps).toEqual([]);
      if (run.outcome === expected) typed++;
    }
    expect(typed).toBeGreaterThan(0);
  });
});

describe('a failed fsync is never retried and reported as success', () => {
  const syncIndex = (calls: string[], nth: number) =>
    calls.map((c, i) => [c, i + 1] as const).filter(([c]) => /^sync .*\.tmp-/.test(c))[nth - 1]![1];

  it('rewrites the bytes once from memory into a new temp file after one failed fsync', async () => {
    const { calls } = await saveWithFault('later save', undefined);
    const run = await saveWithFault('later save', { at: syncIndex(calls, 1), mode: 'once' });
    expect(run.outcome).toBe('ok');
    const temps = new Set(run.calls.filter((c) => c.startsWith('open') && c.includes('.tmp-')));
    expect(temps.size, 'a second, new temp file').toBe(2);
    expect(run.temps).toEqual([]);
  });

  it('rejects with io when the rewrite fails to fsync as well, keeping the old generation', async () => {
    const { calls } = await saveWithFault('later save', undefined);
    const first = syncIndex(calls, 1);
    const rewrite = await saveWithFault('later save', { at: first, mode: 'once' });
    // The rewrite's fsync, counted in the run where only the first one failed.
    const second = syncIndex(rewrite.calls, 2);
    const run = await saveWithFault('later save', { at: [first, second], mode: 'once' });
    expect(run.injected).toBe(2);
    expect(run.outcome).toBe('io');
    expect(run.newest).toBe(2);
    expect(run.temps).toEqual([]);
    expect(
      run.calls.filter((c) => /^sync .*\.tmp-/.test(c)),
      'no third fsync',
    ).toHaveLength(2);
  });

  it('takes a published generation back when the folder fsync fails, so the seq can be retried', async () => {
    const { calls } = await saveWithFault('later save', undefined);
    const dirSync = calls.findIndex((c) => /^sync .*k-[^/]*$/.test(c)) + 1;
    expect(dirSync).toBeGreaterThan(0);
    const run = await saveWithFault('later save', { at: dirSync, mode: 'once' });
    expect(run.outcome).toBe('io');
    expect(run.newest).toBe(2);
  });
});
