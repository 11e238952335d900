import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { assign, createActor, createMachine, transition, type EventObject } from 'xstate';
import { persistActor, type JournalOptions } from 'xstate-checkpoint';
import { persistJournaled } from 'xstate-checkpoint/journal';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { fileJournalAdapter } from 'xstate-checkpoint/adapters/fs-journal';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

// Durable acknowledged events/s of journal mode on the file store, against
// durable snapshot writes of the same machine under the same load and against
// bare XState; restore with a long journal against replaying the same events
// through XState's transition() in memory. afterAll prints the ratios (median
// of interleaved rounds) and writes them to test/.tmp/bench/journal.json.

const machine = createMachine({
  id: 'counter',
  context: {
    count: 0,
    customer: { id: 'c-1', name: 'Ada', since: new Date(1_700_000_000_000).toISOString() },
    lines: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1, price: 9.99 * (i + 1) })),
  },
  initial: 'active',
  states: { active: { on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } } } },
});
const INC = { type: 'INC' } as const;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

let root = '';
let runs = 0;
const freshDir = () => join(root, `run-${++runs}`);

/** `senders` loops, each sending and awaiting its own acknowledgement, until `events` were sent. */
async function load(events: number, senders: number, sendAndAwait: () => Promise<unknown>): Promise<number> {
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (sent < events) {
        sent++;
        await sendAndAwait();
      }
    }),
  );
  return (events / (performance.now() - t0)) * 1000;
}

async function journaled(events: number, senders: number, journal: JournalOptions): Promise<number> {
  const adapter = fileJournalAdapter({ dir: freshDir() });
  const p = await persistJournaled(machine, { key: 'k', adapter, journal, flushOnExit: false });
  await p.flush();
  const rate = await load(events, senders, () => p.send(INC));
  await p.close();
  await adapter.dispose();
  return rate;
}

/** persistActor + flush() per event: concurrent flushes share a write (the scheduler coalesces them). */
async function snapshotFlush(events: number, senders: number): Promise<number> {
  const adapter = fileAdapter({ dir: freshDir() });
  const p = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
  await p.flush();
  const rate = await load(events, senders, () => {
    p.actor.send(INC);
    return p.flush();
  });
  await p.close();
  await adapter.dispose();
  return rate;
}

/** One durable snapshot write per event: each event waits for its own write (a queue of 64 senders). */
async function snapshotEach(events: number, senders: number): Promise<number> {
  const adapter = fileAdapter({ dir: freshDir() });
  const p = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
  await p.flush();
  let queue = Promise.resolve<unknown>(undefined);
  const rate = await load(events, senders, () => {
    const mine = queue.then(() => {
      p.actor.send(INC);
      return p.flush();
    });
    queue = mine;
    return mine;
  });
  await p.close();
  await adapter.dispose();
  return rate;
}

/** The floor under any durable log: raw appends of 64 events' worth of bytes, one fdatasync each, no actor. */
async function rawGroupCommit(events: number, group: number): Promise<number> {
  const dir = freshDir();
  await mkdir(dir, { recursive: true });
  const handle = await open(join(dir, 'raw.log'), 'a');
  const bytes = new Uint8Array(group * 48).fill(7);
  const t0 = performance.now();
  for (let done = 0; done < events; done += group) {
    await handle.writeFile(bytes);
    await handle.datasync();
  }
  const rate = (events / (performance.now() - t0)) * 1000;
  await handle.close();
  return rate;
}

async function bare(events: number): Promise<number> {
  const actor = createActor(machine).start();
  const t0 = performance.now();
  for (let sent = 0; sent < events; sent += 1000) {
    for (let i = 0; i < 1000; i++) actor.send(INC);
    await tick();
  }
  const rate = (events / (performance.now() - t0)) * 1000;
  actor.stop();
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('journal mode', () => {
  let p: Awaited<ReturnType<typeof persistJournaled<typeof machine>>> | undefined;
  bench(
    'journaled (memory): 1 acknowledged event',
    async () => {
      await p!.send(INC);
    },
    {
      setup: async () => {
        p ??= await persistJournaled(machine, {
          key: 'b',
          adapter: memoryAdapter(),
          journal: { compactEvery: 1e9 },
          flushOnExit: false,
        });
      },
    },
  );
});

afterAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'xsc-journal-bench-'));
  const results: Record<string, unknown> = {};
  try {
    const cases: Record<string, { events: number; run: () => Promise<number> }> = {
      'bare XState': { events: 100_000, run: () => bare(100_000) },
      'raw write + fdatasync per 64 events': { events: 6400, run: () => rawGroupCommit(6400, 64) },
      'journal fs, 64 senders': { events: 6400, run: () => journaled(6400, 64, {}) },
      'journal fs, 64 senders, no replay check': {
        events: 6400,
        run: () => journaled(6400, 64, { verifyReplay: false }),
      },
      'snapshot flush per event, 64 senders': { events: 3200, run: () => snapshotFlush(3200, 64) },
      'snapshot write per event, 64 senders': { events: 150, run: () => snapshotEach(150, 64) },
      'journal fs, 1 in flight': { events: 300, run: () => journaled(300, 1, {}) },
      'snapshot flush per event, 1 in flight': { events: 150, run: () => snapshotFlush(150, 1) },
    };
    for (const c of Object.values(cases)) await c.run(); // warm-up
    const rates: Record<string, number[]> = {};
    for (let round = 0; round < 5; round++) {
      for (const [name, c] of Object.entries(cases)) (rates[name] ??= []).push(await c.run());
    }
    const rate = (name: string) => median(rates[name]!);
    const journal64 = rate('journal fs, 64 senders');
    const throughput = {
      eventsPerSecond: Object.fromEntries(Object.keys(cases).map((name) => [name, Math.round(rate(name))])),
      ratios: {
        journal64VsSnapshotFlush64: journal64 / rate('snapshot flush per event, 64 senders'),
        journal64VsSnapshotWriteEach64: journal64 / rate('snapshot write per event, 64 senders'),
        journal64VsBare: journal64 / rate('bare XState'),
        // How close group commit gets to the disk's own limit with 64 events per flush.
        journal64VsRawGroupCommit: journal64 / rate('raw write + fdatasync per 64 events'),
        journal64NoCheckVsBare: rate('journal fs, 64 senders, no replay check') / rate('bare XState'),
        journal1VsSnapshot1: rate('journal fs, 1 in flight') / rate('snapshot flush per event, 1 in flight'),
      },
    };
    console.log('\ndurable acknowledged events/s (fs, median of 5 interleaved rounds)');
    for (const [name, value] of Object.entries(throughput.eventsPerSecond)) {
      console.log(`  ${name.padEnd(42)} ${String(value).padStart(9)} ev/s`);
    }
    for (const [name, value] of Object.entries(throughput.ratios))
      console.log(`  ${name.padEnd(42)} ${value.toFixed(2)}x`);
    results['throughput'] = throughput;

    // Restore: 10,000 journal entries after the last snapshot.
    const ENTRIES = 10_000;
    const dir = freshDir();
    const writer = await persistJournaled(machine, {
      key: 'r',
      adapter: fileJournalAdapter({ dir }),
      journal: { compactEvery: 1e9, compactOnClose: false, verifyReplay: false },
      flushOnExit: false,
    });
    for (let i = 0; i < ENTRIES; i += 500) await Promise.all(Array.from({ length: 500 }, () => writer.send(INC)));
    writer.actor.stop(); // a crash: the journal holds everything since the first snapshot
    const restore = async () => {
      const adapter = fileJournalAdapter({ dir });
      const t0 = performance.now();
      const p = await persistJournaled(machine, {
        key: 'r',
        adapter,
        journal: { compactEvery: 1e9, verifyReplay: false },
        flushOnExit: false,
      });
      const ms = performance.now() - t0;
      if (p.restored.journal.replayed !== ENTRIES) throw new Error(`replayed ${p.restored.journal.replayed}`);
      p.actor.stop();
      await adapter.dispose();
      return ms;
    };
    const start = createActor(machine).getSnapshot();
    const events: EventObject[] = Array.from({ length: ENTRIES }, () => ({ type: 'INC' }));
    const inMemory = async () => {
      const t0 = performance.now();
      let snapshot = start;
      for (const e of events) snapshot = transition(machine, snapshot, e as typeof INC)[0];
      const ms = performance.now() - t0;
      if (snapshot.context.count !== ENTRIES) throw new Error('replay in memory went wrong');
      return ms;
    };
    await restore();
    await inMemory();
    const ours: number[] = [];
    const baseline: number[] = [];
    for (let round = 0; round < 5; round++) {
      ours.push(await restore());
      baseline.push(await inMemory());
    }
    const restoreResult = { entries: ENTRIES, restoreMs: median(ours), transitionInMemoryMs: median(baseline) };
    const ratio = restoreResult.restoreMs / restoreResult.transitionInMemoryMs;
    console.log(
      `\nrestore with ${ENTRIES} journal entries after the last snapshot (fs): ${restoreResult.restoreMs.toFixed(1)} ms; ` +
        `the same events through transition() in memory: ${restoreResult.transitionInMemoryMs.toFixed(1)} ms: ${ratio.toFixed(2)}x`,
    );
    results['restore'] = { ...restoreResult, ratio };
    mkdirSync('test/.tmp/bench', { recursive: true });
    writeFileSync('test/.tmp/bench/journal.json', `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}, 900_000);
