import type { CheckpointAdapter, CheckpointRecord, QuarantineInfo } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import type { Clock } from '../../src/clock.js';
import { adapterClock } from '../shared/clock.js';
import { checkKeyIndex, type KeyIndex } from '../shared/key-index.js';
import { rebuiltKeyIndex, rebuildReporter } from '../shared/key-index-rebuild.js';

/** The part of the Web Storage API the adapter uses (`localStorage`, `sessionStorage` or a stand-in). */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

/** Options of {@link localStorageAdapter}. */
export interface LocalStorageAdapterOptions {
  /** Where to store. @default globalThis.localStorage, read on first use */
  readonly storage?: StorageLike;
  /** Prefix of every item the adapter writes, so it can share the storage with the app. @default 'xsc:' */
  readonly prefix?: string;
  /**
   * Time for quarantine timestamps (the core's `Clock`, as every adapter takes it).
   * @default systemClock
   */
  readonly clock?: Clock;
  /** A damaged key index that was rebuilt is reported here. @default console.warn */
  readonly onWarning?: (message: string) => void;
  /**
   * @deprecated Pass `clock` instead; `now` alone still sets the clock's `now()`.
   * @default Date.now
   */
  readonly now?: () => number;
}

const name = 'localstorage';

// Bytes become base64: Web Storage holds UTF-16 strings, and lone surrogates do not survive every browser.
const toBase64 = (bytes: Uint8Array): string => {
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(out);
};
const fromBase64 = (text: string): Uint8Array => {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
};

/**
 * Stores checkpoints in `localStorage`: for small state in pages that cannot
 * use IndexedDB. Synchronous underneath, so every call is atomic within the
 * tab; not durable (browsers write Web Storage to disk lazily) and not safe
 * across tabs writing one key (use `indexedDbAdapter` with `lock: true`
 * for that). Bytes are stored base64-encoded, a third larger; the ~5 MB
 * per-origin quota rejects with `storage-full` and leaves the previous
 * generation intact.
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { localStorageAdapter } from 'xstate-checkpoint/adapters/localstorage';
 * import { createMachine } from 'xstate';
 *
 * const persisted = await persistActor(createMachine({ id: 'prefs' }), {
 *   key: 'prefs',
 *   adapter: localStorageAdapter({ prefix: 'my-app:' }),
 * });
 * ```
 */
export function localStorageAdapter(options: LocalStorageAdapterOptions = {}): CheckpointAdapter {
  const prefix = options.prefix ?? 'xsc:';
  const clock = adapterClock(options);
  const reportRebuilt = rebuildReporter(name, options.onWarning ?? ((message: string) => console.warn(message)));
  let disposed = false;

  // The item names: a fixed tag and (for bytes) the sequence before the key, so no key can collide with another.
  const metaName = (key: string) => `${prefix}m:${key}`;
  const bytesName = (key: string, seq: number) => `${prefix}g:${seq}:${key}`;
  /** `[seq, byteLength]` of every generation item of `key` (`<prefix>g:<seq>:<key>`; keys may hold ':'). */
  const storedGenerations = (s: StorageLike, key: string): Array<[number, number]> => {
    const head = `${prefix}g:`;
    const tail = `:${key}`;
    const out: Array<[number, number]> = [];
    for (let i = 0; i < s.length; i++) {
      const item = s.key(i);
      if (!item?.startsWith(head) || !item.endsWith(tail)) continue;
      const digits = item.slice(head.length, item.length - tail.length);
      const text = s.getItem(item) ?? '';
      // Base64 length to bytes: the index only reports it.
      const byteLength = Math.floor((text.length * 3) / 4) - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
      if (/^[1-9]\d{0,15}$/.test(digits) && Number.isSafeInteger(Number(digits)))
        out.push([Number(digits), Math.max(0, byteLength)]);
    }
    return out;
  };

  const storage = (key?: string): StorageLike => {
    if (disposed) throw new CheckpointError('closed', { key, adapter: name });
    if (key !== undefined) checkKey(key, name);
    const s = options.storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
    if (!s) {
      throw new CheckpointError('invalid-option', {
        key,
        adapter: name,
        detail: 'localStorage is not available here: pass options.storage',
      });
    }
    return s;
  };
  const load = (s: StorageLike, key: string): KeyIndex => {
    const raw = s.getItem(metaName(key));
    if (raw === null) return { top: 0, epoch: 0, gens: [], quarantine: [] };
    let parsed: KeyIndex | undefined;
    try {
      parsed = checkKeyIndex(JSON.parse(raw), key);
    } catch {
      parsed = undefined;
    }
    if (parsed) return parsed;
    // A damaged index must not hide (or let a write overwrite) the generations it listed: they
    // are rebuilt from the items that hold them, and restore verifies each as always.
    const rebuilt = rebuiltKeyIndex(storedGenerations(s, key));
    reportRebuilt(key, rebuilt.gens.length);
    return rebuilt;
  };
  const set = (s: StorageLike, item: string, value: string, key: string, seq?: number) => {
    try {
      s.setItem(item, value);
    } catch (error) {
      const full = (error as { name?: unknown }).name === 'QuotaExceededError';
      throw new CheckpointError(full ? 'storage-full' : 'io', { key, adapter: name, seq, cause: error });
    }
  };
  const metas = function* (s: StorageLike): Generator<[string, KeyIndex]> {
    const tag = `${prefix}m:`;
    const keys: string[] = [];
    for (let i = 0; i < s.length; i++) {
      const item = s.key(i);
      if (item?.startsWith(tag)) keys.push(item.slice(tag.length));
    }
    for (const key of keys) yield [key, load(s, key)];
  };

  return {
    name,
    capabilities: { durable: false, crossProcess: false, locks: false },

    async list(key) {
      return load(storage(key), key).gens;
    },

    async read(key, seq) {
      const s = storage(key);
      if (!load(s, key).gens.some((g) => g.seq === seq)) return undefined;
      const text = s.getItem(bytesName(key, seq));
      return text === null ? undefined : fromBase64(text);
    },

    async write(key, record: CheckpointRecord) {
      const s = storage(key);
      const m = load(s, key);
      const { seq, epoch } = record;
      if (epoch < m.epoch) {
        throw new CheckpointError('fenced', {
          key,
          adapter: name,
          seq,
          detail: `epoch ${epoch} is older than the key's epoch ${m.epoch}`,
        });
      }
      if (seq <= m.top) {
        throw new CheckpointError('conflict', {
          key,
          adapter: name,
          seq,
          detail: `generation ${m.top} already exists`,
        });
      }
      // Bytes first, then the index that publishes them: a failure in between leaves the old index.
      set(s, bytesName(key, seq), toBase64(record.bytes), key, seq);
      m.top = seq;
      m.epoch = epoch;
      m.gens.unshift({ seq, epoch, byteLength: record.bytes.length, createdAt: record.createdAt });
      try {
        set(s, metaName(key), JSON.stringify(m), key, seq);
      } catch (error) {
        s.removeItem(bytesName(key, seq));
        throw error;
      }
    },

    async remove(key, seq) {
      const s = storage(key);
      const m = load(s, key);
      if (!m.gens.some((g) => g.seq === seq)) return;
      m.gens = m.gens.filter((g) => g.seq !== seq);
      // Removing shrinks the index, so it cannot hit the quota.
      s.setItem(metaName(key), JSON.stringify(m));
      s.removeItem(bytesName(key, seq));
    },

    async keys() {
      const out: string[] = [];
      for (const [key, m] of metas(storage())) if (m.gens.length > 0) out.push(key);
      return out;
    },

    async quarantine(key, seq, reason) {
      const s = storage(key);
      const m = load(s, key);
      const g = m.gens.find((x) => x.seq === seq);
      if (!g) throw new CheckpointError('not-found', { key, adapter: name, seq });
      // The bytes stay where they are: the sequence is never reused, so the id can name them.
      const info: QuarantineInfo = { ...g, id: `q${seq}`, key, reason, quarantinedAt: clock.now() };
      m.gens = m.gens.filter((x) => x !== g);
      m.quarantine.push(info);
      set(s, metaName(key), JSON.stringify(m), key, seq);
      return info;
    },

    async listQuarantine(key) {
      const s = storage(key);
      const out = key === undefined ? [...metas(s)].flatMap(([, m]) => m.quarantine) : load(s, key).quarantine;
      return out.sort((a, b) => b.quarantinedAt - a.quarantinedAt || b.seq - a.seq);
    },

    async readQuarantined(key, id) {
      const s = storage(key);
      const q = load(s, key).quarantine.find((x) => x.id === id);
      const text = q && s.getItem(bytesName(key, q.seq));
      return typeof text === 'string' ? fromBase64(text) : undefined;
    },

    async deleteQuarantined(key, id) {
      const s = storage(key);
      const m = load(s, key);
      const q = m.quarantine.find((x) => x.id === id);
      if (!q) return;
      m.quarantine = m.quarantine.filter((x) => x !== q);
      s.setItem(metaName(key), JSON.stringify(m));
      s.removeItem(bytesName(key, q.seq));
    },

    async dispose() {
      disposed = true;
    },
  };
}
