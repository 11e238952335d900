// Walks over the IndexedDB adapter's object store that only its seldom-made calls need (upkeep.ts).
import { checkKeyIndex, type KeyIndex } from '../shared/key-index.js';
import type { IdbStore, On } from './store.js';

/**
 * `[seq, byteLength]` of every stored `[key, seq]` record, then `done` (in
 * the running transaction): what a damaged index is rebuilt from.
 *
 * @example
 * ```ts
 * storedGenerations(s, store, on, 'cart', (pairs) => console.log(pairs.length));
 * ```
 */
export function storedGenerations(
  s: IdbStore,
  store: IDBObjectStore,
  on: On,
  key: string,
  done: (pairs: Array<[number, number]>) => void,
): void {
  const from = [key, 1];
  const pairs: Array<[number, number]> = [];
  let jumped = false;
  // A cursor from the start, moved to [key, 1] (no IDBKeyRange needed: it may not be global).
  on(store.openCursor(), (cursor) => {
    if (!cursor) return done(pairs);
    if (!jumped) {
      jumped = true;
      if (s.factory().cmp(cursor.key, from) < 0) return cursor.continue(from);
    }
    const k = cursor.key;
    if (!Array.isArray(k) || k[0] !== key) return done(pairs);
    const seq = k[1];
    if (Number.isSafeInteger(seq) && (seq as number) >= 1) {
      const v: unknown = cursor.value;
      pairs.push([seq as number, v instanceof Uint8Array ? v.length : 0]);
    }
    cursor.continue();
  });
}

/**
 * Calls `each` with every key's index record, checked; `undefined` for a
 * damaged one (its own key's calls rebuild it).
 *
 * @example
 * ```ts
 * allMetas(store, on, (key, m) => console.log(key, m?.gens.length));
 * ```
 */
export function allMetas(store: IDBObjectStore, on: On, each: (key: string, m: KeyIndex | undefined) => void): void {
  // Metadata records are keyed by plain strings, which sort before every [key, seq] array key.
  on(store.openCursor(), (cursor) => {
    if (!cursor || typeof cursor.key !== 'string') return;
    each(cursor.key, checkKeyIndex(cursor.value, cursor.key));
    cursor.continue();
  });
}
