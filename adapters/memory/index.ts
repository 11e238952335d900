import type {
  AcquireOptions,
  CheckpointAdapter,
  CheckpointRecord,
  GenerationInfo,
  JournalDamage,
  JournalStore,
  Lease,
  QuarantineInfo,
} from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { FRAME_HEADER, encodeJournalFrames, scanJournalFrames } from '../../src/journal-frame.js';
import { checkJournalOrder } from '../../src/journal-order.js';
import { checkKey } from '../../src/keys.js';
import type { Clock } from '../../src/clock.js';
import { adapterClock } from '../shared/clock.js';

/** What a {@link MemoryStore} keeps for one key (its generations, quarantine, epoch, lock and journal). */
export interface MemoryKeyState {
  generations: Map<number, CheckpointRecord>;
  quarantine: Map<string, QuarantineInfo & { bytes: Uint8Array }>;
  epoch: number;
  lockedBy: object | undefined;
  /** Framed journal entries, one chunk per append (the same frames the fs journal writes). */
  journal: Uint8Array[];
  /** Damaged journal bytes set aside by an append, kept for inspection. */
  journalAside: Uint8Array[];
  /** Sequence of the last good journal entry (survives truncation). */
  journalLast: number;
  /** Highest sequence truncation dropped. */
  journalFloor: number;
}

/** Shared backing store for several {@link memoryAdapter}s (to model several writers in one process). */
export interface MemoryStore {
  readonly keys: Map<string, MemoryKeyState>;
}

/**
 * Creates a store that several memory adapters can share.
 *
 * @example
 * ```ts
 * import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * const store = createMemoryStore();
 * const a = memoryAdapter({ store });
 * const b = memoryAdapter({ store }); // sees a's generations
 * ```
 */
export function createMemoryStore(): MemoryStore {
  return { keys: new Map() };
}

/** Options of {@link memoryAdapter}. */
export interface MemoryAdapterOptions {
  /** Share generations with other adapters. @default a private store */
  readonly store?: MemoryStore;
  /**
   * Time for quarantine timestamps (the core's `Clock`, as every adapter takes it).
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * @deprecated Pass `clock` instead; `now` alone still sets the clock's `now()`.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Keeps checkpoints in memory: for tests, demos and caches. Not durable
 * (`capabilities.durable` is false); copies bytes in and out, so callers can
 * never mutate what is stored.
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { createMachine } from 'xstate';
 *
 * const persisted = await persistActor(createMachine({ id: 'm' }), { key: 'm-1', adapter: memoryAdapter() });
 * ```
 */
export function memoryAdapter(options: MemoryAdapterOptions = {}): CheckpointAdapter {
  const store = options.store ?? createMemoryStore();
  const clock = adapterClock(options);
  const owner = {};
  let disposed = false;
  let quarantineCounter = 0;
  const name = 'memory';

  const open = (key: string): void => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: name });
    checkKey(key, name);
  };
  const state = (key: string): MemoryKeyState => {
    let s = store.keys.get(key);
    if (!s) {
      s = {
        generations: new Map(),
        quarantine: new Map(),
        epoch: 0,
        lockedBy: undefined,
        journal: [],
        journalAside: [],
        journalLast: 0,
        journalFloor: 0,
      };
      store.keys.set(key, s);
    }
    return s;
  };
  const info = (r: GenerationInfo): GenerationInfo => ({
    seq: r.seq,
    epoch: r.epoch,
    byteLength: r.byteLength,
    createdAt: r.createdAt,
  });

  // Keys whose journal this adapter has checked since it was created or last found damage.
  const verified = new Set<string>();
  const joined = (s: MemoryKeyState): Uint8Array => {
    if (s.journal.length === 1) return s.journal[0]!;
    const out = new Uint8Array(s.journal.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of s.journal) {
      out.set(c, at);
      at += c.length;
    }
    s.journal = out.length > 0 ? [out] : [];
    return out;
  };
  const journal: JournalStore = {
    async append(key, entries, epoch) {
      open(key);
      const s = state(key);
      if (epoch < s.epoch) {
        throw new CheckpointError('fenced', {
          key,
          adapter: name,
          detail: `journal epoch ${epoch} is older than the key's epoch ${s.epoch}`,
        });
      }
      if (!verified.has(key)) {
        // New entries must follow the last good one: cut a torn tail, set damage aside.
        const bytes = joined(s);
        const scan = scanJournalFrames(bytes, Number.MAX_SAFE_INTEGER);
        if (scan.corrupt) s.journalAside.push(bytes.slice(scan.end));
        if (scan.end < bytes.length) s.journal = scan.end > 0 ? [bytes.slice(0, scan.end)] : [];
        s.journalLast = Math.max(scan.lastSeq, s.journalFloor);
        verified.add(key);
      }
      const last = checkJournalOrder(key, name, entries, s.journalLast);
      if (entries.length === 0) return;
      s.epoch = epoch;
      s.journal.push(encodeJournalFrames(entries, epoch));
      s.journalLast = last;
    },
    async read(key, afterSeq) {
      open(key);
      const s = store.keys.get(key);
      if (!s) return { entries: [] };
      const bytes = joined(s);
      const scan = scanJournalFrames(bytes, afterSeq);
      const entries = scan.entries.map((e) => ({ seq: e.seq, bytes: e.bytes.slice() }));
      const damage = (d: { reason: string }): JournalDamage => ({
        afterSeq: scan.lastSeq,
        byteLength: bytes.length - scan.end,
        reason: d.reason,
      });
      if (scan.torn || scan.corrupt) verified.delete(key);
      if (scan.torn) return { entries, torn: damage(scan.torn) };
      if (scan.corrupt) return { entries, corrupt: damage(scan.corrupt) };
      return { entries };
    },
    async truncate(key, uptoSeq) {
      open(key);
      const s = store.keys.get(key);
      if (!s) return;
      const bytes = joined(s);
      const scan = scanJournalFrames(bytes, uptoSeq);
      const kept = scan.entries[0];
      // Keep everything from the first entry after uptoSeq (or from any damage) on.
      const from = kept ? kept.bytes.byteOffset - bytes.byteOffset - FRAME_HEADER : scan.end;
      if (from === 0) return;
      const dropped = scanJournalFrames(bytes.subarray(0, from), Number.MAX_SAFE_INTEGER);
      s.journalFloor = Math.max(s.journalFloor, dropped.lastSeq);
      s.journal = from < bytes.length ? [bytes.slice(from)] : [];
    },
  };

  return {
    name,
    capabilities: { durable: false, crossProcess: false, locks: true },
    journal,
    async list(key) {
      open(key);
      const s = store.keys.get(key);
      if (!s) return [];
      return [...s.generations.values()].map(info).sort((a, b) => b.seq - a.seq);
    },
    async read(key, seq) {
      open(key);
      const r = store.keys.get(key)?.generations.get(seq);
      return r ? r.bytes.slice() : undefined;
    },
    async write(key, record: CheckpointRecord) {
      open(key);
      const s = state(key);
      if (record.epoch < s.epoch) {
        throw new CheckpointError('fenced', {
          key,
          adapter: name,
          seq: record.seq,
          detail: `epoch ${record.epoch} is older than the key's epoch ${s.epoch}`,
        });
      }
      let newest = 0;
      for (const seq of s.generations.keys()) newest = Math.max(newest, seq);
      for (const q of s.quarantine.values()) newest = Math.max(newest, q.seq);
      if (record.seq <= newest) {
        throw new CheckpointError('conflict', {
          key,
          adapter: name,
          seq: record.seq,
          detail: `generation ${newest} already exists`,
        });
      }
      s.epoch = record.epoch;
      s.generations.set(record.seq, { ...info(record), byteLength: record.bytes.length, bytes: record.bytes.slice() });
    },
    async remove(key, seq) {
      open(key);
      store.keys.get(key)?.generations.delete(seq);
    },
    async keys() {
      if (disposed) throw new CheckpointError('closed', { adapter: name });
      return [...store.keys.entries()].filter(([, s]) => s.generations.size > 0).map(([k]) => k);
    },
    async quarantine(key, seq, reason) {
      open(key);
      const s = store.keys.get(key);
      const r = s?.generations.get(seq);
      if (!s || !r) throw new CheckpointError('not-found', { key, adapter: name, seq });
      const id = `${seq}-${++quarantineCounter}`;
      const q = { ...info(r), id, key, reason, quarantinedAt: clock.now(), bytes: r.bytes };
      s.quarantine.set(id, q);
      s.generations.delete(seq);
      const { bytes: _bytes, ...rest } = q;
      return rest;
    },
    async listQuarantine(key) {
      if (key !== undefined) open(key);
      else if (disposed) throw new CheckpointError('closed', { adapter: name });
      const out: QuarantineInfo[] = [];
      // One key is a lookup, not a scan of every key (restore asks for it once per actor).
      const states = key === undefined ? store.keys.values() : [store.keys.get(key)];
      for (const s of states) {
        if (s) for (const { bytes: _bytes, ...rest } of s.quarantine.values()) out.push(rest);
      }
      return out.sort((a, b) => b.quarantinedAt - a.quarantinedAt || b.seq - a.seq);
    },
    async readQuarantined(key, id) {
      open(key);
      return store.keys.get(key)?.quarantine.get(id)?.bytes.slice();
    },
    async deleteQuarantined(key, id) {
      open(key);
      store.keys.get(key)?.quarantine.delete(id);
    },
    async acquire(key, acquireOptions: AcquireOptions = {}): Promise<Lease> {
      open(key);
      const s = state(key);
      if (s.lockedBy !== undefined && s.lockedBy !== owner) {
        throw new CheckpointError('lock-held', { key, adapter: name, data: { waitMs: acquireOptions.waitMs } });
      }
      s.lockedBy = owner;
      let newest = s.epoch;
      for (const g of s.generations.values()) newest = Math.max(newest, g.epoch);
      s.epoch = newest + 1;
      const epoch = s.epoch;
      let released = false;
      return {
        epoch,
        async release() {
          if (released) return;
          released = true;
          if (s.lockedBy === owner) s.lockedBy = undefined;
        },
      };
    },
    async dispose() {
      disposed = true;
      for (const s of store.keys.values()) if (s.lockedBy === owner) s.lockedBy = undefined;
    },
  };
}
