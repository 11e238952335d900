import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import pg from 'pg';
import { afterAll, bench, describe } from 'vitest';
import { assign, createActor, createMachine, transition, type EventObject } from 'xstate';
import {
  persistActor,
  taggedJsonCodec,
  type CheckpointAdapter,
  type JournalEntry,
  type JournalOptions,
  type JournalStore,
} from 'xstate-checkpoint';
import {
  Replay,
  decodeJournaledEvent,
  encodeJournalFrames,
  encodeJournaledEvent,
  persistJournaled,
} from 'xstate-checkpoint/journal';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { fileJournal, fileJournalAdapter } from 'xstate-checkpoint/adapters/fs-journal';
import { indexedDbJournal, indexedDbJournalAdapter } from 'xstate-checkpoint/adapters/indexeddb-journal';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { postgresJournal, postgresJournalAdapter } from 'xstate-checkpoint/adapters/postgres-journal';
import { pgConfig, postgresAvailable, randomSuffix } from '../server/support.js';

// Durable acknowledged events/s of journal mode on the file store, against
// durable snapshot writes of the same machine under the same load and against
// bare XState; restore with a long journal against replaying the same events
// through XState's transition() in memory. afterAll prints the ratios (median
// of interleaved rounds) and writes them to test/.tmp/bench/journal.json.
//
// Group commit against each store's floor (issue 15): 1, 8 and 64 senders, each
// awaiting its own acknowledgement, through persistJournaled; the groups the
// journal appended are recorded and the same bytes are then written raw, one
// group per durable call (fs: write + fdatasync of the same frames; PostgreSQL:
// one multi-row INSERT; IndexedDB: one readwrite transaction). The same groups
// also go through the journal store alone, so the adapter's own share shows
// apart from XState's transition and the codec. The ceiling is the same closed
// loop with no journal at all: bare XState `actor.send`, `JSON.stringify` of the
// event, and the store's raw durable call per group (groups formed as a group
// commit forms them: what arrived while the previous call was in flight), which
// is what a journal with zero overhead of its own would reach. Every round runs
// all sides.

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

/** A journal adapter whose appends are recorded (the groups, as the store received them). */
function recording<A extends CheckpointAdapter>(adapter: A): { adapter: A; groups: Group[] } {
  const groups: Group[] = [];
  const inner = adapter.journal!;
  const journal: JournalStore = {
    append(key, entries, epoch) {
      groups.push({ entries, epoch });
      return inner.append(key, entries, epoch);
    },
    read: (key, afterSeq) => inner.read(key, afterSeq),
    truncate: (key, uptoSeq) => inner.truncate(key, uptoSeq),
  };
  return { adapter: Object.assign(adapter, { journal }), groups };
}
interface Group {
  readonly entries: readonly JournalEntry[];
  readonly epoch: number;
}
const eventsIn = (groups: readonly Group[]) => groups.reduce((n, g) => n + g.entries.length, 0);

/** Events/s of `senders` loops through persistJournaled on `adapter`, and the groups its journal appended. */
async function journaledOn(
  made: CheckpointAdapter,
  events: number,
  senders: number,
  journal: JournalOptions = {},
): Promise<{ rate: number; groups: Group[] }> {
  const { adapter, groups } = recording(made);
  const p = await persistJournaled(machine, { key: 'k', adapter, journal, flushOnExit: false });
  await p.flush();
  groups.length = 0;
  const rate = await load(events, senders, () => p.send(INC));
  await p.close();
  await adapter.dispose();
  return { rate, groups };
}

/** The fs floor: the same frames written raw, one write + fdatasync per group (the first group untimed). */
async function rawFrames(groups: readonly Group[]): Promise<number> {
  const dir = freshDir();
  await mkdir(dir, { recursive: true });
  const handle = await open(join(dir, 'raw.log'), 'a');
  const frames = groups.map((g) => encodeJournalFrames(g.entries, g.epoch));
  await handle.writeFile(frames[0]!);
  await handle.datasync();
  const t0 = performance.now();
  for (let i = 1; i < frames.length; i++) {
    await handle.writeFile(frames[i]!);
    await handle.datasync();
  }
  const rate = ((eventsIn(groups) - groups[0]!.entries.length) / (performance.now() - t0)) * 1000;
  await handle.close();
  return rate;
}

/** The same groups through a journal store alone, one append after another (the first untimed). */
async function storeOnly(store: JournalStore & { dispose(): Promise<void> }, groups: readonly Group[], key: string) {
  await store.append(key, groups[0]!.entries, groups[0]!.epoch);
  const t0 = performance.now();
  for (let i = 1; i < groups.length; i++) await store.append(key, groups[i]!.entries, groups[i]!.epoch);
  const rate = ((eventsIn(groups) - groups[0]!.entries.length) / (performance.now() - t0)) * 1000;
  await store.dispose();
  return rate;
}

interface FloorSide {
  /** persistJournaled with `senders` loops: the events/s and the groups. */
  journal(senders: number, events: number): Promise<{ rate: number; groups: Group[] }>;
  /** The same groups, raw, one durable call per group. */
  raw(groups: readonly Group[]): Promise<number>;
  /** The same groups through the journal store alone. */
  store(groups: readonly Group[]): Promise<number>;
  /** The closed loop with bare XState and the raw durable call (see {@link ceilingLoop}). */
  ceiling(senders: number, events: number): Promise<{ rate: number; perGroup: number }>;
}

const utf8 = new TextEncoder();

/**
 * The ceiling of any journal on a store: `senders` closed loops over a bare
 * actor, each sending, stringifying its event and awaiting a group commit that
 * hands what arrived meanwhile to `commit` (the store's raw durable call), one
 * call in flight; the turn after each call lets every woken sender queue its
 * next event first, as the journal's writer does. The first call is untimed.
 */
async function ceilingLoop(
  senders: number,
  events: number,
  commit: (payloads: readonly Uint8Array[], firstSeq: number) => Promise<void>,
): Promise<{ rate: number; perGroup: number }> {
  const actor = createActor(machine).start();
  await commit([utf8.encode(JSON.stringify(INC))], 1);
  let seq = 1;
  let pending: Uint8Array[] = [];
  let waiters: Array<() => void> = [];
  let busy = false;
  let groups = 0;
  const run = async () => {
    while (pending.length > 0) {
      const payloads = pending;
      const woken = waiters;
      pending = [];
      waiters = [];
      await commit(payloads, seq + 1);
      seq += payloads.length;
      groups++;
      for (const wake of woken) wake();
      await tick();
    }
    busy = false;
  };
  const rate = await load(events, senders, () => {
    actor.send(INC);
    pending.push(utf8.encode(JSON.stringify(INC)));
    const acknowledged = new Promise<void>((resolve) => waiters.push(resolve));
    if (!busy) {
      busy = true;
      setImmediate(() => void run());
    }
    return acknowledged;
  });
  actor.stop();
  return { rate, perGroup: events / groups };
}

const concatBytes = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const fsFloor: FloorSide = {
  journal: (senders, events) => journaledOn(fileJournalAdapter({ dir: freshDir() }), events, senders),
  raw: rawFrames,
  store: (groups) => storeOnly(fileJournal({ dir: freshDir() }), groups, 'k'),
  async ceiling(senders, events) {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    const handle = await open(join(dir, 'ceiling.log'), 'a');
    try {
      return await ceilingLoop(senders, events, async (payloads) => {
        await handle.writeFile(concatBytes(payloads));
        await handle.datasync();
      });
    } finally {
      await handle.close();
    }
  },
};

async function postgresFloor(): Promise<{ side: FloorSide; close(): Promise<void> } | undefined> {
  if (!(await postgresAvailable())) return undefined;
  const schema = `xsc_jbench_${randomSuffix()}`;
  const pool = new pg.Pool({ ...pgConfig(), max: 4 });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(`CREATE TABLE "${schema}".raw (key text NOT NULL, seq bigint NOT NULL, epoch bigint NOT NULL,
    checksum bigint NOT NULL, payload bytea NOT NULL, PRIMARY KEY (key, seq))`);
  let run = 0;
  const insert = `INSERT INTO "${schema}".raw (key, seq, epoch, checksum, payload)
    SELECT $1, s, $3, 0, p FROM unnest($2::bigint[], $4::bytea[]) AS t(s, p)`;
  const side: FloorSide = {
    journal: (senders, events) =>
      journaledOn(postgresJournalAdapter({ pool, schema, table: `t${++run}` }), events, senders),
    async raw(groups) {
      const key = `raw-${++run}`;
      const rows = groups.map((g) => [g.entries.map((e) => e.seq), g.entries.map((e) => Buffer.from(e.bytes))]);
      await pool.query(insert, [key, rows[0]![0], groups[0]!.epoch, rows[0]![1]]);
      const t0 = performance.now();
      for (let i = 1; i < rows.length; i++) await pool.query(insert, [key, rows[i]![0], groups[i]!.epoch, rows[i]![1]]);
      return ((eventsIn(groups) - groups[0]!.entries.length) / (performance.now() - t0)) * 1000;
    },
    store: (groups) => storeOnly(postgresJournal({ pool, schema, table: `t${++run}` }), groups, 'k'),
    ceiling(senders, events) {
      const key = `ceiling-${++run}`;
      return ceilingLoop(senders, events, async (payloads, firstSeq) => {
        const seqs = payloads.map((_, i) => firstSeq + i);
        await pool.query(insert, [key, seqs, 0, payloads.map((p) => Buffer.from(p))]);
      });
    },
  };
  return {
    side,
    async close() {
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

function indexedDbFloor(): FloorSide {
  const factory = new IDBFactory();
  let run = 0;
  const open = (name: string) =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('entries');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error!);
    });
  const put = (db: IDBDatabase, key: string, group: Group) =>
    new Promise<void>((resolve, reject) => {
      const tx = db.transaction('entries', 'readwrite', { durability: 'strict' });
      const store = tx.objectStore('entries');
      for (const e of group.entries) store.put({ epoch: group.epoch, bytes: e.bytes.slice() }, [key, e.seq]);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error!);
    });
  return {
    journal: (senders, events) =>
      journaledOn(
        indexedDbJournalAdapter({
          dbName: `j${++run}`,
          indexedDB: factory,
          keyRange: IDBKeyRange,
          broadcastChannel: false,
        }),
        events,
        senders,
      ),
    async raw(groups) {
      const db = await open(`raw${++run}`);
      await put(db, 'k', groups[0]!);
      const t0 = performance.now();
      for (let i = 1; i < groups.length; i++) await put(db, 'k', groups[i]!);
      const rate = ((eventsIn(groups) - groups[0]!.entries.length) / (performance.now() - t0)) * 1000;
      db.close();
      return rate;
    },
    store: (groups) =>
      storeOnly(indexedDbJournal({ dbName: `s${++run}`, indexedDB: factory, keyRange: IDBKeyRange }), groups, 'k'),
    async ceiling(senders, events) {
      const db = await open(`ceiling${++run}`);
      try {
        return await ceilingLoop(senders, events, (payloads, firstSeq) =>
          put(db, 'k', { epoch: 0, entries: payloads.map((bytes, i) => ({ seq: firstSeq + i, bytes })) }),
        );
      } finally {
        db.close();
      }
    },
  };
}

/**
 * Rounds of every (store, senders) case; each round runs the journal, then
 * the raw floor and the store alone on the groups that run appended, so each
 * ratio pairs measurements taken moments apart.
 */
async function groupCommit(sides: Record<string, FloorSide>, rounds: number) {
  const loads = [
    { senders: 1, events: 300 },
    { senders: 8, events: 1600 },
    { senders: 64, events: 6400 },
  ];
  const samples = new Map<
    string,
    { journal: number[]; raw: number[]; store: number[]; ceiling: number[]; group: number[]; ceilingGroup: number[] }
  >();
  for (let round = -1; round < rounds; round++) {
    for (const [name, side] of Object.entries(sides)) {
      for (const { senders, events } of loads) {
        const id = `${name}, ${senders} sender${senders === 1 ? '' : 's'}`;
        const j = await side.journal(senders, events);
        const raw = await side.raw(j.groups);
        const store = await side.store(j.groups);
        const ceiling = await side.ceiling(senders, events);
        if (round < 0) continue; // warm-up
        const s = samples.get(id) ?? { journal: [], raw: [], store: [], ceiling: [], group: [], ceilingGroup: [] };
        samples.set(id, s);
        s.journal.push(j.rate);
        s.raw.push(raw);
        s.store.push(store);
        s.ceiling.push(ceiling.rate);
        s.group.push(eventsIn(j.groups) / j.groups.length);
        s.ceilingGroup.push(ceiling.perGroup);
      }
    }
  }
  return [...samples].map(([metric, s]) => ({
    metric,
    baselineName: metric.startsWith('fs')
      ? 'raw write + fdatasync of the same frames, one per group'
      : metric.startsWith('postgres')
        ? 'raw multi-row INSERT of the same rows, one per group'
        : 'one raw readwrite transaction of the same entries per group',
    eventsPerGroup: median(s.group),
    journalPerSecond: Math.round(median(s.journal)),
    storeOnlyPerSecond: Math.round(median(s.store)),
    baselinePerSecond: Math.round(median(s.raw)),
    ratio: median(s.journal.map((j, i) => j / s.raw[i]!)),
    storeOnlyRatio: median(s.store.map((x, i) => x / s.raw[i]!)),
    // Bare XState + JSON.stringify + the same raw call per group: no journal can pass it.
    ceilingPerSecond: Math.round(median(s.ceiling)),
    ceilingEventsPerGroup: median(s.ceilingGroup),
    ceilingRatio: median(s.ceiling.map((c, i) => c / s.raw[i]!)),
    journalVsCeiling: median(s.journal.map((j, i) => j / s.ceiling[i]!)),
    targetRatio: 0.8,
    met: median(s.journal.map((j, i) => j / s.raw[i]!)) >= 0.8,
  }));
}

/**
 * The replay check a compaction starts (verifyReplay): 1,000 journal entries
 * decoded and replayed from the previous generation, against the live actor
 * processing the same 1,000 events.
 */
async function replayCheck(rounds: number) {
  const ENTRIES = 1000;
  const entries: JournalEntry[] = Array.from({ length: ENTRIES }, (_, i) => ({
    seq: i + 1,
    bytes: encodeJournaledEvent(taggedJsonCodec, 1_700_000_000_000 + i, INC, []),
  }));
  const base = createActor(machine).getSnapshot();
  const check = () => {
    const t0 = performance.now();
    const replay = new Replay(machine, createActor(machine, { snapshot: base }), []);
    for (const e of entries) replay.apply(decodeJournaledEvent(e, [taggedJsonCodec]));
    const bytes = taggedJsonCodec.encode(replay.persisted());
    const ms = performance.now() - t0;
    if (bytes.length === 0) throw new Error('replay check produced nothing');
    return ms;
  };
  const live = () => {
    const actor = createActor(machine).start();
    const t0 = performance.now();
    for (let i = 0; i < ENTRIES; i++) actor.send(INC);
    const ms = performance.now() - t0;
    actor.stop();
    return ms;
  };
  check();
  live();
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ours.push(check());
    baseline.push(live());
  }
  return {
    metric: `replay check of ${ENTRIES} entries (runs in the background after a compaction)`,
    baselineName: `the live actor processing the same ${ENTRIES} events`,
    oursMs: median(ours),
    baselineMs: median(baseline),
    ratio: median(ours.map((o, i) => o / baseline[i]!)),
  };
}

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

    const pgSide = await postgresFloor();
    try {
      const rows = await groupCommit(
        { fs: fsFloor, ...(pgSide ? { postgres: pgSide.side } : {}), 'indexeddb (fake-indexeddb)': indexedDbFloor() },
        5,
      );
      const check = await replayCheck(7);
      console.log('\ngroup commit against the floor of each store (median of 5 interleaved rounds)');
      for (const r of rows) {
        console.log(
          `  ${r.metric.padEnd(36)} ${String(r.journalPerSecond).padStart(7)} ev/s vs ${String(r.baselinePerSecond).padStart(7)} raw: ` +
            `${r.ratio.toFixed(2)}x (store alone ${r.storeOnlyRatio.toFixed(2)}x, ceiling ${r.ceilingRatio.toFixed(2)}x, ` +
            `journal/ceiling ${r.journalVsCeiling.toFixed(2)}x), ${r.eventsPerGroup.toFixed(1)} events/group`,
        );
      }
      if (!pgSide) console.log('  postgres: skipped (no server at 127.0.0.1:5432)');
      console.log(
        `  ${check.metric}: ${check.oursMs.toFixed(2)} ms vs ${check.baselineMs.toFixed(2)} ms live: ${check.ratio.toFixed(2)}x`,
      );
      results['groupCommit'] = { rows, ...(pgSide ? {} : { postgres: 'skipped: no server' }) };
      results['replayCheck'] = { rows: [check] };
    } finally {
      await pgSide?.close();
    }

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
