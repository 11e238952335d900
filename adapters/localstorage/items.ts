// The items one adapter keeps in Web Storage, and what it reads back from them as hostile storage.
import { CheckpointError } from '../../src/errors.js';
import { checkKeyIndex, type KeyIndex } from '../shared/key-index.js';
import { rebuiltKeyIndex } from '../shared/key-index-rebuild.js';
import { NAME, type LsContext } from './context.js';
import type { StorageLike } from './options.js';

// The item names: a fixed tag and (for bytes) the sequence before the key, so no key can collide with another.
/** The item of `key`'s index record: `<prefix>m:<key>`. */
export const metaName = (cx: LsContext, key: string): string => `${cx.prefix}m:${key}`;
/** The item of one generation's bytes (base64): `<prefix>g:<seq>:<key>`. */
export const bytesName = (cx: LsContext, key: string, seq: number): string => `${cx.prefix}g:${seq}:${key}`;

/** `[seq, byteLength]` of every generation item of `key` (`<prefix>g:<seq>:<key>`; keys may hold ':'). */
function storedGenerations(cx: LsContext, s: StorageLike, key: string): Array<[number, number]> {
  const head = `${cx.prefix}g:`;
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
}

/**
 * The index record of `key`, checked. A damaged one must not hide (or let a
 * write overwrite) the generations it listed: they are rebuilt from the items
 * that hold them (reported once per key), and restore verifies each as always.
 *
 * @example
 * ```ts
 * const m = loadIndex(cx, storageFor(cx, 'prefs'), 'prefs');
 * ```
 */
export function loadIndex(cx: LsContext, s: StorageLike, key: string): KeyIndex {
  const raw = s.getItem(metaName(cx, key));
  if (raw === null) return { top: 0, epoch: 0, gens: [], quarantine: [] };
  let parsed: KeyIndex | undefined;
  try {
    parsed = checkKeyIndex(JSON.parse(raw), key);
  } catch {
    parsed = undefined;
  }
  if (parsed) return parsed;
  const rebuilt = rebuiltKeyIndex(storedGenerations(cx, s, key));
  cx.reportRebuilt(key, rebuilt.gens.length);
  return rebuilt;
}

/**
 * Sets one item; a full quota rejects with `storage-full`, anything else with `io`.
 *
 * @example
 * ```ts
 * setItem(s, metaName(cx, 'prefs'), JSON.stringify(m), 'prefs', 3);
 * ```
 */
export function setItem(s: StorageLike, item: string, value: string, key: string, seq?: number): void {
  try {
    s.setItem(item, value);
  } catch (error) {
    const full = (error as { name?: unknown }).name === 'QuotaExceededError';
    throw new CheckpointError(full ? 'storage-full' : 'io', { key, adapter: NAME, seq, cause: error });
  }
}

/**
 * Every key that has an index record, with the record (checked, rebuilt when damaged).
 *
 * @example
 * ```ts
 * for (const [key, m] of indexes(cx, s)) console.log(key, m.gens.length);
 * ```
 */
export function* indexes(cx: LsContext, s: StorageLike): Generator<[string, KeyIndex]> {
  const tag = `${cx.prefix}m:`;
  const keys: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const item = s.key(i);
    if (item?.startsWith(tag)) keys.push(item.slice(tag.length));
  }
  for (const key of keys) yield [key, loadIndex(cx, s, key)];
}
