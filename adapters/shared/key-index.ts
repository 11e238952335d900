// One key's index record (its generations and quarantine) as the browser adapters store it, read as hostile storage.
import type { GenerationInfo, QuarantineInfo } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';

/** What the index item of one key holds. */
export interface KeyIndex {
  /** Highest sequence ever written: never reused. */
  top: number;
  epoch: number;
  /** Live generations, newest first. */
  gens: GenerationInfo[];
  quarantine: QuarantineInfo[];
}

const count = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const own = (o: object, name: string): unknown =>
  Object.hasOwn(o, name) ? (o as Record<string, unknown>)[name] : undefined;
const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

function isGeneration(v: unknown): v is GenerationInfo {
  return (
    isObject(v) &&
    count(own(v, 'seq'), 1) &&
    count(own(v, 'epoch'), 0) &&
    count(own(v, 'byteLength'), 0) &&
    Number.isFinite(own(v, 'createdAt'))
  );
}

function isQuarantined(v: unknown, key: string): v is QuarantineInfo {
  return (
    isGeneration(v) &&
    typeof own(v, 'id') === 'string' &&
    own(v, 'key') === key &&
    typeof own(v, 'reason') === 'string' &&
    Number.isFinite(own(v, 'quarantinedAt'))
  );
}

/**
 * The index record when every field has its type and range (own properties
 * only) and no sequence appears twice or above `top`; `undefined` otherwise
 * (the caller rebuilds it from the stored generations, which loses nothing).
 */
export function checkKeyIndex(value: unknown, key: string): KeyIndex | undefined {
  if (!isObject(value)) return undefined;
  const top = own(value, 'top');
  const epoch = own(value, 'epoch');
  const gens = own(value, 'gens');
  const quarantine = own(value, 'quarantine');
  if (!count(top, 0) || !count(epoch, 0) || !Array.isArray(gens) || !Array.isArray(quarantine)) return undefined;
  if (!gens.every(isGeneration) || !quarantine.every((q) => isQuarantined(q, key))) return undefined;
  const seqs = [...gens, ...quarantine].map((g: GenerationInfo) => g.seq);
  if (new Set(seqs).size !== seqs.length || seqs.some((s) => s > top)) return undefined;
  // Checked entries as stored (own data of JSON or a structured clone: no prototype tricks),
  // newest first whatever order the stored list has: restore tries them in this order.
  return { top, epoch, gens: gens.sort((a: GenerationInfo, b: GenerationInfo) => b.seq - a.seq), quarantine };
}

/**
 * Adds `g` to the index as the key's newest generation, the compare-and-set
 * of the browser adapters: refused with `fenced` when its epoch is older than
 * the key's, `conflict` when its sequence is not above every one written; the
 * index is unchanged then.
 *
 * @example
 * ```ts
 * import { publishInIndex, type KeyIndex } from './key-index.js';
 * const m: KeyIndex = { top: 0, epoch: 0, gens: [], quarantine: [] };
 * publishInIndex(m, { seq: 1, epoch: 0, byteLength: 3, createdAt: 0 }, 'indexeddb', 'cart');
 * m.top; // 1
 * ```
 */
export function publishInIndex(m: KeyIndex, g: GenerationInfo, adapter: string, key: string): void {
  const { seq, epoch } = g;
  const refused = (code: 'fenced' | 'conflict', detail: string) =>
    new CheckpointError(code, { key, adapter, seq, detail });
  if (epoch < m.epoch) throw refused('fenced', `epoch ${epoch} is older than the key's epoch ${m.epoch}`);
  if (seq <= m.top) throw refused('conflict', `generation ${m.top} already exists`);
  m.top = seq;
  m.epoch = epoch;
  m.gens.unshift(g);
}
