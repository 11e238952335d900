// Runs inside Chromium tabs (bundled by harness.ts): the operations the Node tests drive.
import { createStore, set } from 'idb-keyval';
import { assign, setup } from 'xstate';
import { isCheckpointError, persistActor } from 'xstate-checkpoint';
import { crc32 } from 'xstate-checkpoint/adapter-kit';
import type { Lease, PersistedActor } from 'xstate-checkpoint';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import type { IndexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';

/** An acknowledged write: `write()` resolved, so the transaction's `complete` fired. */
export interface Ack {
  readonly seq: number;
  readonly epoch: number;
  readonly crc: number;
  readonly size: number;
}
export type StepResult =
  | ({ ok: true } & Ack)
  | { ok: false; code: string; data?: Record<string, unknown> | undefined; cause?: string | undefined };

/** Random bytes: Chromium compresses IndexedDB values, so patterned data would fake sizes. */
function noise(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}
const codeOf = (error: unknown) => (isCheckpointError(error) ? error.code : String(error));

/** Random base64 text of about `bytes * 4 / 3` characters (incompressible, like the bytes). */
function randomText(bytes: number): string {
  let text = '';
  const raw = noise(bytes);
  for (let i = 0; i < bytes; i += 0x3000) text += btoa(String.fromCharCode(...raw.subarray(i, i + 0x3000)));
  return text;
}

const counter = setup({
  types: {
    context: {} as { count: number; pad: string },
    events: {} as { type: 'INC' } | { type: 'PAD'; bytes: number },
  },
}).createMachine({
  id: 'counter',
  context: { count: 0, pad: '' },
  on: {
    INC: { actions: assign({ count: ({ context }) => context.count + 1 }) },
    PAD: { actions: assign({ pad: ({ event }) => randomText(event.bytes) }) },
  },
});

let adapter: IndexedDbAdapter | undefined;
let lease: Lease | undefined;
let persisted: PersistedActor<typeof counter> | undefined;
const notices: number[] = [];
const pruned: number[] = [];
const follows: number[] = [];
const db = () => adapter ?? (adapter = indexedDbAdapter({ dbName: 'tabs' }));

async function write(key: string, seq: number, epoch: number, size: number): Promise<StepResult> {
  const bytes = noise(size);
  try {
    await db().write(key, { seq, epoch, createdAt: Date.now(), byteLength: size, bytes });
    return { ok: true, seq, epoch, crc: crc32(bytes), size };
  } catch (error) {
    const cause = isCheckpointError(error) ? (error.cause as { name?: string } | undefined)?.name : undefined;
    return { ok: false, code: codeOf(error), data: isCheckpointError(error) ? error.data : undefined, cause };
  }
}

/**
 * Times saves of the same random bytes, interleaved per round: the adapter (with
 * `default` and `strict` durability, pruning to 3 generations outside the timing)
 * against a raw idb-keyval `set`. Returns the per-save milliseconds of each.
 */
async function benchSaves(rounds: number, size: number): Promise<Record<string, number[]>> {
  const stamp = Date.now();
  const plain = indexedDbAdapter({ dbName: `bench-default-${stamp}`, durability: 'default', broadcastChannel: false });
  const strict = indexedDbAdapter({ dbName: `bench-strict-${stamp}`, durability: 'strict', broadcastChannel: false });
  const store = createStore(`bench-keyval-${stamp}`, 'keyval');
  const bytes = noise(size);
  let seq = 0;
  const save = async (a: IndexedDbAdapter) => {
    const t0 = performance.now();
    await a.write('doc', { seq, epoch: 0, createdAt: Date.now(), byteLength: size, bytes });
    const ms = performance.now() - t0;
    if (seq > 3) await a.remove('doc', seq - 3);
    return ms;
  };
  const runs: Record<string, () => Promise<number>> = {
    'adapter (default)': () => save(plain),
    'adapter (strict)': () => save(strict),
    'idb-keyval set': async () => {
      const t0 = performance.now();
      await set('doc', bytes, store);
      return performance.now() - t0;
    },
  };
  const out: Record<string, number[]> = {};
  const names = Object.keys(runs);
  for (let round = -5; round < rounds; round++) {
    seq++;
    // Rotate the order so no variant always runs first; the first 5 rounds warm up.
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + 5 + i) % names.length]!;
      const ms = await runs[name]!();
      if (round >= 0) (out[name] ??= []).push(ms);
    }
  }
  await plain.dispose();
  await strict.dispose();
  return out;
}

export const tab = {
  benchSaves,
  open(dbName: string, durability: IDBTransactionDurability = 'strict', key = 'doc') {
    adapter = indexedDbAdapter({ dbName, durability });
    adapter.subscribe(key, (notice) => notices.push(notice.seq));
  },
  /** Takes the key's lock; the epoch, or the error code. */
  async acquire(key: string, waitMs = 0): Promise<number | string> {
    try {
      lease = await db().acquire!(key, { waitMs });
      return lease.epoch;
    } catch (error) {
      return codeOf(error);
    }
  },
  /** Queues for the lock in the background (Web Locks grant it when the holder goes away). */
  queue(key: string): void {
    void tab.acquire(key, 10 * 60_000);
  },
  holding: () => lease?.epoch,
  notices: () => notices.slice(),
  /** Writes the next generation: with the lease's epoch when holding, else as a writer without one (epoch 0). */
  async step(key: string, size: number): Promise<StepResult> {
    const seq = ((await db().list(key))[0]?.seq ?? 0) + 1;
    return write(key, seq, lease?.epoch ?? 0, size);
  },
  write,
  /** Every stored generation with the checksum of its bytes, newest first. */
  async stored(key: string): Promise<Ack[]> {
    const out: Ack[] = [];
    for (const g of await db().list(key)) {
      const bytes = await db().read(key, g.seq);
      out.push({ seq: g.seq, epoch: g.epoch, crc: bytes ? crc32(bytes) : -1, size: bytes?.length ?? -1 });
    }
    return out;
  },
  /** Writes back to back, reporting each acknowledged write to Node at once through `window.ack`. */
  writeLoop(key: string, size: number, first: number): void {
    const report = (window as unknown as { ack: (ack: Ack) => void }).ack;
    void (async () => {
      for (let seq = first; ; seq++) {
        const result = await write(key, seq, 0, size);
        if (!result.ok) return;
        report(result);
      }
    })();
  },
  async counterOpen(dbName: string, key: string, retainLatest = 3, onFull: 'keep' | 'drop-oldest' = 'keep') {
    persisted = await persistActor(counter, {
      key,
      adapter: indexedDbAdapter({ dbName }),
      debounce: { wait: 0, maxWait: 0 },
      retain: { latest: retainLatest, onFull },
      onError: () => undefined,
    });
    persisted.on('prune', (event) => pruned.push(...event.removed));
    const { count } = persisted.actor.getSnapshot().context;
    return { count, source: persisted.restored.source, seq: persisted.restored.seq ?? 0 };
  },
  /**
   * Opens the counter with `lock` and `follow`: the first tab writes, the others
   * mirror it (BroadcastChannel notices) and take over when the writer tab goes.
   */
  async followOpen(dbName: string, key: string) {
    adapter = indexedDbAdapter({ dbName });
    persisted = await persistActor(counter, {
      key,
      adapter,
      debounce: { wait: 0, maxWait: 0 },
      lock: true,
      follow: true,
    });
    persisted.on('follow', (event) => follows.push(event.seq));
    return tab.followState();
  },
  followState() {
    return {
      role: persisted!.role,
      count: persisted!.actor.getSnapshot().context.count,
      seq: persisted!.restored.seq ?? 0,
      follows: follows.slice(),
    };
  },
  /** Generations the persisted actor pruned so far. */
  counterPruned: () => pruned.slice(),
  /** Sequences of the counter's stored generations, newest first. */
  counterStored: async () => (await persisted!.history.list()).map((g) => g.seq),
  /** Changes the actor and waits for `flush()`: the acknowledged checkpoint, or the error code. */
  async counterInc(padBytes = 48 * 1024): Promise<{ count: number; seq: number } | { code: string }> {
    persisted!.actor.send({ type: 'PAD', bytes: padBytes });
    persisted!.actor.send({ type: 'INC' });
    try {
      const info = await persisted!.flush();
      return { count: persisted!.actor.getSnapshot().context.count, seq: info?.seq ?? 0 };
    } catch (error) {
      return { code: codeOf(error) };
    }
  },
};
export type Tab = typeof tab;

(window as unknown as { tab: Tab }).tab = tab;
