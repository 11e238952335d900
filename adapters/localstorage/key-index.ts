// One key's index item (its generations and quarantine), read as hostile storage.
import type { GenerationInfo, QuarantineInfo } from '../../src/adapter.js';
import type { StorageLike } from './index.js';

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
 * The index parsed from its stored text when every field has its type and
 * range and no sequence appears twice or above `top`; `undefined` otherwise
 * (the caller rebuilds it from the generation items, which lose nothing).
 */
export function parseKeyIndex(raw: string, key: string): KeyIndex | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const top = own(value, 'top');
  const epoch = own(value, 'epoch');
  const gens = own(value, 'gens');
  const quarantine = own(value, 'quarantine');
  if (!count(top, 0) || !count(epoch, 0) || !Array.isArray(gens) || !Array.isArray(quarantine)) return undefined;
  if (!gens.every(isGeneration) || !quarantine.every((q) => isQuarantined(q, key))) return undefined;
  const seqs = [...gens, ...quarantine].map((g: GenerationInfo) => g.seq);
  if (new Set(seqs).size !== seqs.length || seqs.some((s) => s > top)) return undefined;
  return {
    top,
    epoch,
    gens: gens.map(({ seq, epoch: e, byteLength, createdAt }: GenerationInfo) => ({
      seq,
      epoch: e,
      byteLength,
      createdAt,
    })),
    quarantine: quarantine.map((q: QuarantineInfo) => ({
      seq: q.seq,
      epoch: q.epoch,
      byteLength: q.byteLength,
      createdAt: q.createdAt,
      id: q.id,
      key,
      reason: q.reason,
      quarantinedAt: q.quarantinedAt,
    })),
  };
}

/**
 * An index rebuilt from the generation items `<prefix>g:<seq>:<key>` that are
 * there: every one listed as a live generation (newest first; epoch and time
 * unknown, so 0), `top` their highest sequence, so that no later write
 * reuses one. Restore verifies each; what still fails is quarantined again.
 */
export function rebuildKeyIndex(s: StorageLike, key: string, itemPrefix: string): KeyIndex {
  const seqs: number[] = [];
  const suffix = `:${key}`;
  for (let i = 0; i < s.length; i++) {
    const item = s.key(i);
    if (!item?.startsWith(itemPrefix) || !item.endsWith(suffix)) continue;
    const digits = item.slice(itemPrefix.length, item.length - suffix.length);
    const seq = Number(digits);
    if (/^[1-9]\d*$/.test(digits) && Number.isSafeInteger(seq)) seqs.push(seq);
  }
  seqs.sort((a, b) => b - a);
  const gens = seqs.map((seq) => {
    const text = s.getItem(`${itemPrefix}${seq}${suffix}`) ?? '';
    // Base64 length to bytes: the index only reports it.
    const byteLength = Math.max(0, Math.floor((text.length * 3) / 4) - (text.match(/=*$/)?.[0].length ?? 0));
    return { seq, epoch: 0, byteLength, createdAt: 0 };
  });
  return { top: seqs[0] ?? 0, epoch: 0, gens, quarantine: [] };
}
