import { describe, expect, it } from 'vitest';
import type { CheckpointRecord } from 'xstate-checkpoint';
import { encodeEnvelope, openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, keyFolderName, type FileSystemLike } from 'xstate-checkpoint/adapters/fs';
import { crashVariants, SimFs } from './sim-fs.js';

const KEY = 'tenant/Ünï 1';
const DIR = '/data/store';

function generation(seq: number): CheckpointRecord {
  const payload = new TextEncoder().encode(`{"seq":${seq},"pad":"${'x'.repeat(200 + seq * 50)}"}`);
  const bytes = encodeEnvelope(
    { machine: 'm', version: 1, seq, epoch: 0, createdAt: 1_700_000_000_000, codec: 'json' },
    payload,
  );
  return { seq, epoch: 0, createdAt: 1_700_000_000_000, byteLength: bytes.length, bytes };
}

const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

/** Drops every fsync of files and folders: the "write, rename, hope" writer the enumeration must catch. */
function withoutFsync(sim: SimFs): FileSystemLike {
  return {
    open: async (path, flags) => ({ ...(await sim.open(path, flags)), sync: async () => undefined }),
    readFile: (p) => sim.readFile(p),
    readdir: (p) => sim.readdir(p),
    mkdir: (p, o) => sim.mkdir(p, o),
    link: (a, b) => sim.link(a, b),
    rename: (a, b) => sim.rename(a, b),
    unlink: (p) => sim.unlink(p),
    stat: (p) => sim.stat(p),
  };
}

type Phase = 'new key' | 'first save of a process' | 'later save' | 'folder another process created, not yet durable';

interface Enumeration {
  ops: number;
  states: number;
  /** Crash states whose newest generation was neither the old nor the new one, or did not hold its bytes. */
  violations: string[];
  /** Crash states after the save resolved that lost the acknowledged generation. */
  lostAcknowledged: number;
  oldSeen: number;
  newSeen: number;
}

/**
 * Records the operation log of one save, replays every prefix on a copy of the
 * state before it, crashes that copy in each of the four ways, and restores.
 */
async function enumerate(phase: Phase, wrap: (sim: SimFs) => FileSystemLike = (sim) => sim): Promise<Enumeration> {
  const sim = new SimFs();
  const written = new Map<number, Uint8Array>();
  let seq = 1;
  if (phase !== 'new key') {
    await fileAdapter({ dir: DIR, fs: sim }).write(KEY, generation(seq));
    written.set(seq, generation(seq).bytes);
    seq++;
  }
  const adapter = fileAdapter({ dir: DIR, fs: wrap(sim) });
  if (phase === 'later save') {
    await adapter.write(KEY, generation(seq));
    written.set(seq, generation(seq).bytes);
    seq++;
  }
  const old = seq - 1 === 0 ? undefined : seq - 1;
  sim.syncAll();
  // Another process created the key folder (and wrote generation 1) but crashed before fsyncing the root.
  const folderMayVanish = phase === 'folder another process created, not yet durable';
  if (folderMayVanish) sim.forgetEntry(`${DIR}/${keyFolderName(KEY)}`);
  const base = sim.clone();
  sim.startRecording();
  await adapter.write(KEY, generation(seq));
  written.set(seq, generation(seq).bytes);
  const log = [...sim.log];

  const result: Enumeration = {
    ops: log.length,
    states: 0,
    violations: [],
    lostAcknowledged: 0,
    oldSeen: 0,
    newSeen: 0,
  };
  for (let prefix = 0; prefix <= log.length; prefix++) {
    const replay = base.clone();
    for (const op of log.slice(0, prefix)) await replay.apply(op);
    for (const variant of crashVariants) {
      result.states++;
      const where = `after ${prefix}/${log.length} ops (${log[prefix - 1]?.op ?? 'none'}), crash keeping ${variant.entries} entries and ${variant.data} data`;
      const reader = fileAdapter({ dir: DIR, fs: replay.crash(variant) });
      const list = await reader.list(KEY);
      for (const g of list) {
        const bytes = await reader.read(KEY, g.seq);
        let opens: boolean;
        try {
          opens = openEnvelope(bytes ?? new Uint8Array()).header.seq === g.seq;
        } catch {
          opens = false;
        }
        if (!opens || !same(bytes, written.get(g.seq)!))
          result.violations.push(`${where}: generation ${g.seq} is torn`);
      }
      const newest = list[0]?.seq;
      const before = folderMayVanish ? [old, undefined] : [old];
      if (!before.includes(newest) && newest !== seq) result.violations.push(`${where}: newest is ${String(newest)}`);
      if (before.includes(newest)) result.oldSeen++;
      if (newest === seq) result.newSeen++;
      if (prefix === log.length && newest !== seq) result.lostAcknowledged++;
      expect(await reader.keys()).toEqual(newest === undefined ? [] : [KEY]);
    }
  }
  return result;
}

describe('crash-point enumeration: every prefix of a save, unsynced state dropped', () => {
  for (const phase of [
    'new key',
    'first save of a process',
    'later save',
    'folder another process created, not yet durable',
  ] as const) {
    it(`${phase}: 100% of crash states restore the old or the new generation`, async () => {
      const result = await enumerate(phase);
      console.log(
        `crash points, ${phase}: ${result.ops} ops, ${result.states} crash states, old ${result.oldSeen}, new ${result.newSeen}, violations ${result.violations.length}`,
      );
      expect(result.ops).toBeGreaterThanOrEqual(10);
      expect(result.states).toBe((result.ops + 1) * 4);
      expect(result.violations).toEqual([]);
      expect(result.lostAcknowledged, 'a resolved write survives every kind of crash').toBe(0);
      // Both outcomes occur, so the enumeration really crosses the publication point.
      expect(result.oldSeen).toBeGreaterThan(0);
      expect(result.newSeen).toBeGreaterThan(0);
    });
  }

  it('catches a writer that skips fsync (proof the enumeration can fail)', async () => {
    const result = await enumerate('later save', withoutFsync);
    console.log(
      `crash points, no fsync: ${result.states} crash states, ${result.violations.length} violations, ${result.lostAcknowledged} acknowledged losses`,
    );
    expect(result.violations.length + result.lostAcknowledged).toBeGreaterThan(0);
    expect(result.violations.some((v) => v.includes('torn'))).toBe(true);
    expect(result.lostAcknowledged).toBeGreaterThan(0);
  });
});
