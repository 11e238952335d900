import { createHash } from 'node:crypto';
import type { CheckpointRecord, GenerationInfo } from '../../src/adapter.js';
import { crc32 } from '../../src/checksum.js';

// Names inside a key folder. Generation and lock numbers are fixed-width so
// names sort like their numbers.
/** `<seq>.gen`: one generation. */
export const GENERATION_NAME = /^(\d{16})\.gen$/;
/** Quarantine ids: `<seq>-<quarantinedAt base 36>-<random>`. */
export const QUARANTINE_ID = /^(\d{16})-([0-9a-z]{1,12})-([0-9a-f]{8})$/;
/** The file holding the original key. */
export const KEY_FILE = 'key';
/** The per-key quarantine folder. */
export const QUARANTINE_DIR = 'quarantine';
/** Size of the adapter's own header in front of the envelope bytes. */
export const HEADER_SIZE = 40;

const MAGIC = 0x58534647; // "XSFG"
const LAYOUT = 1;
// Longest escaped key kept readable in its folder name; longer keys are hashed.
const MAX_PLAIN = 100;
const utf8 = new TextEncoder();

/**
 * A number as the fixed-width decimal used in file names, so names sort like numbers.
 *
 * @example
 * ```ts
 * import { fixedWidth } from './layout.js';
 * fixedWidth(42); // '0000000000000042'
 * ```
 */
export const fixedWidth = (n: number): string => String(n).padStart(16, '0');
/**
 * File name of generation `seq`.
 *
 * @example
 * ```ts
 * import { generationName } from './layout.js';
 * generationName(7); // '0000000000000007.gen'
 * ```
 */
export const generationName = (seq: number): string => `${fixedWidth(seq)}.gen`;

/**
 * Sequences of the generation files among folder entries, newest first.
 *
 * @example
 * ```ts
 * import { generationSeqs } from './layout.js';
 * generationSeqs(['key', '0000000000000001.gen', '0000000000000002.gen']); // [2, 1]
 * ```
 */
export function generationSeqs(names: readonly string[]): number[] {
  const seqs: number[] = [];
  for (const name of names) {
    const match = GENERATION_NAME.exec(name);
    if (match) seqs.push(Number(match[1]));
  }
  return seqs.sort((a, b) => b - a);
}

/**
 * Folder name of a key: `k-` plus the key's UTF-8 bytes with everything but
 * `a-z 0-9 - _` escaped as `.xx`. The result is lowercase only (no two keys
 * collide on case-insensitive file systems), never a reserved device name
 * (`CON`, `NUL`...), never `.`/`..`, has no separators and does not end in a dot
 * or space. Keys longer than 100 escaped characters become `h-` plus 160 bits
 * of their SHA-256 (the key itself is kept in the folder's `key` file).
 *
 * @example
 * ```ts
 * import { keyFolderName } from 'xstate-checkpoint/adapters/fs';
 * keyFolderName('Order/1'); // 'k-.4frder.2f1'
 * ```
 */
export function keyFolderName(key: string): string {
  let out = '';
  for (const b of utf8.encode(key)) {
    const safe = (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f;
    out += safe ? String.fromCharCode(b) : `.${b.toString(16).padStart(2, '0')}`;
  }
  if (out.length <= MAX_PLAIN) return `k-${out}`;
  const readable = out.replace(/\.[0-9a-f]{2}/g, '').slice(0, 32);
  return `h-${createHash('sha256').update(key).digest('hex').slice(0, 40)}-${readable}`;
}

/**
 * The key of a `k-` folder name, or `undefined` when it is not one {@link keyFolderName} makes
 * (hashed `h-` folders keep their key in their `key` file instead).
 *
 * @example
 * ```ts
 * import { keyFromFolderName } from './layout.js';
 * keyFromFolderName('k-.4frder.2f1'); // 'Order/1'
 * ```
 */
export function keyFromFolderName(name: string): string | undefined {
  if (!/^k-(?:[a-z0-9_-]|\.[0-9a-f]{2})*$/.test(name)) return undefined;
  const bytes: number[] = [];
  for (let i = 2; i < name.length; i++) {
    if (name[i] !== '.') bytes.push(name.charCodeAt(i));
    else {
      bytes.push(Number.parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

/**
 * The header in front of a generation's envelope bytes: magic `XSFG`, layout
 * 1, then seq, epoch and createdAt as float64, the envelope length as uint32
 * and a CRC-32 of the 36 bytes before it. The file is this header followed by
 * the envelope bytes unchanged.
 *
 * @example
 * ```ts
 * import { generationHeader } from './layout.js';
 * const bytes = new Uint8Array([1, 2, 3]);
 * generationHeader({ seq: 1, epoch: 0, createdAt: Date.now(), byteLength: 3, bytes }).length; // 40
 * ```
 */
export function generationHeader(record: CheckpointRecord): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC);
  out[4] = LAYOUT;
  view.setFloat64(8, record.seq);
  view.setFloat64(16, record.epoch);
  view.setFloat64(24, record.createdAt);
  view.setUint32(32, record.bytes.length);
  view.setUint32(36, crc32(out, 0, 36));
  return out;
}

/**
 * The metadata in a generation file's header, or `undefined` when the header
 * is damaged or names another seq.
 *
 * @example
 * ```ts
 * import { decodeGenerationHeader, generationHeader } from './layout.js';
 * const header = generationHeader({ seq: 3, epoch: 1, createdAt: 0, byteLength: 0, bytes: new Uint8Array() });
 * decodeGenerationHeader(header, 3)?.epoch; // 1
 * ```
 */
export function decodeGenerationHeader(bytes: Uint8Array, seq: number): GenerationInfo | undefined {
  if (bytes.length < HEADER_SIZE) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  if (view.getUint32(0) !== MAGIC || bytes[4] !== LAYOUT || view.getUint32(36) !== crc32(bytes, 0, 36)) {
    return undefined;
  }
  if (view.getFloat64(8) !== seq) return undefined;
  // A float64 with a good CRC may still be no epoch (Infinity, 0.5, 1e300): taken as one, it
  // fenced every later write of the key. Such a header counts as damaged, like any other.
  const epoch = view.getFloat64(16);
  const createdAt = view.getFloat64(24);
  if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(createdAt) || createdAt < 0) return undefined;
  return { seq, epoch, byteLength: view.getUint32(32), createdAt };
}

/**
 * A copy of the envelope bytes of a generation file. Always a copy, so callers
 * never hold a view of a buffer someone else reuses. A file shorter than the
 * header yields no bytes (the envelope check then reports it corrupt).
 *
 * @example
 * ```ts
 * import { envelopeBytesOf } from './layout.js';
 * envelopeBytesOf(new Uint8Array(45)).length; // 5
 * ```
 */
export function envelopeBytesOf(file: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(file, Math.min(HEADER_SIZE, file.length));
}
