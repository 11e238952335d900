import type { JournalDamage, JournalStore } from '../../src/adapter.js';
import { fencedAppend } from '../shared/journal-refusal.js';
import { FRAME_HEADER, encodeJournalFrames, scanJournalFrames } from '../../src/journal-frame.js';
import { checkJournalOrder } from '../../src/journal-order.js';
import { keyState, type MemoryContext, type MemoryKeyState } from './store.js';

/**
 * The journal of a memory adapter: each key's entries as the same frames the
 * fs journal writes, kept in its {@link MemoryKeyState}, so torn and corrupt
 * tails behave as on disk.
 *
 * @example
 * ```ts
 * import { memoryJournal } from './journal.js';
 * import { createMemoryStore } from './store.js';
 * const journal = memoryJournal({ store: createMemoryStore(), name: 'memory', open: () => undefined });
 * await journal.append('k', [{ seq: 1, bytes: new Uint8Array([1]) }], 0);
 * ```
 */
export function memoryJournal(ctx: MemoryContext): JournalStore {
  const { store, name, open } = ctx;
  // Keys whose journal this adapter has checked since it was created or last found damage.
  const verified = new Set<string>();
  // Keys whose entries after this seq the kit could not decode: damage until the next append sets it aside.
  const cuts = new Map<string, number>();
  return {
    async append(key, entries, epoch) {
      open(key);
      const s = keyState(store, key);
      if (epoch < s.epoch) {
        throw fencedAppend({
          adapter: name,
          key,
          first: entries[0]?.seq ?? s.journalLast + 1,
          epoch,
          keyEpoch: s.epoch,
        });
      }
      if (!verified.has(key)) {
        repairTail(s, cuts.get(key));
        cuts.delete(key);
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
      const scan = scanJournalFrames(bytes, afterSeq, 0, 0, [], cuts.get(key));
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
    async setAsideAfter(key, afterSeq) {
      open(key);
      cuts.set(key, Math.min(afterSeq, cuts.get(key) ?? afterSeq));
      verified.delete(key);
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
}

/** The key's journal frames as one array (joined once, then kept joined). */
function joined(s: MemoryKeyState): Uint8Array {
  if (s.journal.length === 1) return s.journal[0]!;
  const out = new Uint8Array(s.journal.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of s.journal) {
    out.set(c, at);
    at += c.length;
  }
  s.journal = out.length > 0 ? [out] : [];
  return out;
}

/** Before a key's first append: new entries must follow the last good one, so a torn tail is cut and damage (or what follows `cutAfter`) set aside. */
function repairTail(s: MemoryKeyState, cutAfter: number | undefined): void {
  const bytes = joined(s);
  const scan = scanJournalFrames(bytes, Number.MAX_SAFE_INTEGER, 0, 0, [], cutAfter);
  if (scan.corrupt) s.journalAside.push(bytes.slice(scan.end));
  if (scan.end < bytes.length) s.journal = scan.end > 0 ? [bytes.slice(0, scan.end)] : [];
  s.journalLast = Math.max(scan.lastSeq, s.journalFloor);
}
