import type { EventObject } from 'xstate';
import type { JournalEntry } from './adapter.js';
import { taggedJsonCodec, type Codec, type DecodeLimits } from './codec/index.js';
import { CheckpointError } from './errors.js';

/** One event delivery inside a persisted actor's tree, as the journal keeps it. */
export interface JournaledEvent {
  /** Journal sequence. */
  readonly seq: number;
  /** When it was delivered (ms since 1970, the persisted actor's clock). */
  readonly at: number;
  readonly event: EventObject;
  /** Path of child ids from the root to the receiver (`[]` = the root). */
  readonly target: readonly string[];
  /** Path of the sender inside the tree; absent when it came from outside (`send`, external actors). */
  readonly source?: readonly string[] | undefined;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const prefixes = new Map<string, Uint8Array>();

function prefixOf(codecId: string): Uint8Array {
  let prefix = prefixes.get(codecId);
  if (!prefix) {
    const id = utf8.encode(codecId);
    if (id.length > 255) {
      throw new CheckpointError('invalid-option', { detail: `codec id "${codecId}" is over 255 bytes` });
    }
    prefix = new Uint8Array(id.length + 1);
    prefix[0] = id.length;
    prefix.set(id, 1);
    prefixes.set(codecId, prefix);
  }
  return prefix;
}

const TILDE = '~';
const objectProto = Object.prototype;

/** A string the tagged-JSON codec writes as JSON writes it: no leading "~" (the codec's marker). */
const plainString = (v: string) => v.length === 0 || v[0] !== TILDE;

/** A number JSON writes as the codec does: finite, and not -0. */
const plainNumber = (v: number) => Number.isFinite(v) && !(v === 0 && 1 / v < 0);

const pathJson = (path: readonly string[]) => (path.length === 0 ? '[]' : JSON.stringify(path));

function plainPath(path: readonly string[]): boolean {
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    if (typeof part !== 'string' || !plainString(part)) return false;
  }
  return true;
}

/**
 * Whether the tagged-JSON codec writes `event` exactly as `JSON.stringify`
 * does: a plain object (own data properties only, no `__proto__` key) of
 * strings without a leading "~", finite numbers other than -0, booleans and
 * null. Anything else (nested objects, Dates, undefined, ...) goes through
 * the codec.
 */
function plainEvent(event: EventObject): boolean {
  if (Object.getPrototypeOf(event) !== objectProto) return false;
  const keys = Object.keys(event);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '__proto__') return false;
    const d = Object.getOwnPropertyDescriptor(event, key);
    if (!d || !('value' in d)) return false;
    const v: unknown = d.value;
    if (typeof v === 'string') {
      if (!plainString(v)) return false;
    } else if (typeof v === 'number') {
      if (!plainNumber(v)) return false;
    } else if (typeof v !== 'boolean' && v !== null) return false;
  }
  return true;
}

/**
 * One delivery's journal entry as {@link journalEntry} leaves it: the entry's
 * bytes, or a string whose UTF-8 encoding they are (the default codec and a
 * flat event of plain values), turned into bytes with the rest of its group by
 * {@link journalEntries}.
 */
export type PendingEntry = Uint8Array | string;

// The default codec's id with its length byte, as text: both are ASCII, so its UTF-8 is the prefix.
const plainPrefix = prefixText(taggedJsonCodec.id);

/** The codec id with its length byte as text, when its UTF-8 is that prefix (an ASCII id); else ''. */
function prefixText(id: string): string {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) > 0x7f) return '';
  return id.length < 0x80 ? String.fromCharCode(id.length) + id : '';
}

/**
 * Encodes one delivery for the journal: the codec id (length byte + UTF-8),
 * then the codec's bytes of `[at, event, target, source?]`. With the default
 * codec and a flat event of plain values (the common case) the entry is the
 * UTF-8 of a string built by `JSON.stringify` directly (the bytes the codec
 * writes for plain data: its format is the JSON of `[value]` then, without its
 * walk); it stays a string here, so a whole group is encoded at once.
 * `limits` are those the journal is read with (passed to `codec.encode`).
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * import { journalEntry } from './journal-entry.js';
 * const entry = journalEntry(taggedJsonCodec, Date.now(), { type: 'PAY' }, []); // a string
 * ```
 */
export function journalEntry(
  codec: Codec,
  at: number,
  event: EventObject,
  target: readonly string[],
  source?: readonly string[],
  limits?: DecodeLimits,
): PendingEntry {
  const plain =
    codec === taggedJsonCodec &&
    plainPrefix !== '' &&
    plainNumber(at) &&
    plainPath(target) &&
    (source === undefined || plainPath(source)) &&
    plainEvent(event);
  // JSON.stringify([record]) piece by piece (a finite number's JSON is its String()): a third less work.
  if (plain) {
    const tail = source === undefined ? ']]' : `,${pathJson(source)}]]`;
    return `${plainPrefix}[[${at},${JSON.stringify(event)},${pathJson(target)}${tail}`;
  }
  const record = source === undefined ? [at, event, target] : [at, event, target, source];
  const prefix = prefixOf(codec.id);
  const payload = codec.encode(record, limits);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

/**
 * Numbers a group of {@link journalEntry} results from `firstSeq` on. The
 * strings among them are encoded as UTF-8 in one call (then copied out, so
 * each entry owns its buffer, as stores may keep it whole); a group with a
 * character outside ASCII encodes its strings one by one instead.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * import { journalEntries, journalEntry } from './journal-entry.js';
 * const group = journalEntries(1, [journalEntry(taggedJsonCodec, 0, { type: 'A' }, [])]); // [{ seq: 1, bytes }]
 * ```
 */
export function journalEntries(firstSeq: number, pending: readonly PendingEntry[]): JournalEntry[] {
  let text = '';
  for (const p of pending) if (typeof p === 'string') text += p;
  let ascii: Uint8Array | undefined;
  if (text.length > 0) {
    ascii = new Uint8Array(text.length);
    // Sized at one byte per unit: any character outside ASCII needs more, so not all of it is read.
    if (utf8.encodeInto(text, ascii).read !== text.length) ascii = undefined;
  }
  const entries: JournalEntry[] = new Array<JournalEntry>(pending.length);
  let at = 0;
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i]!;
    let bytes: Uint8Array;
    if (typeof p !== 'string') bytes = p;
    else if (ascii) bytes = ascii.slice(at, (at += p.length));
    else bytes = utf8.encode(p);
    entries[i] = { seq: firstSeq + i, bytes };
  }
  return entries;
}

/**
 * Encodes one delivery for the journal: the codec id (length byte + UTF-8),
 * then the codec's bytes of `[at, event, target, source?]` (see
 * {@link journalEntry}, of which these are the bytes), nested at most
 * `limits.maxDepth` deep (default 2,048).
 *
 * @example
 * ```ts
 * import { taggedJsonCodec } from 'xstate-checkpoint';
 * import { encodeJournaledEvent } from 'xstate-checkpoint/journal';
 * const bytes = encodeJournaledEvent(taggedJsonCodec, Date.now(), { type: 'PAY' }, []);
 * ```
 */
export function encodeJournaledEvent(
  codec: Codec,
  at: number,
  event: EventObject,
  target: readonly string[],
  source?: readonly string[],
  limits?: DecodeLimits,
): Uint8Array {
  const entry = journalEntry(codec, at, event, target, source, limits);
  return typeof entry === 'string' ? utf8.encode(entry) : entry;
}

function isPath(p: unknown): p is string[] {
  if (!Array.isArray(p)) return false;
  for (let i = 0; i < p.length; i++) if (typeof p[i] !== 'string') return false;
  return true;
}

const bad = (seq: number, detail: string) => new CheckpointError('decode', { seq, detail });

/** The codec among `codecs` whose id the entry starts with, compared as bytes (the first of them, as by id). */
function codecFor(bytes: Uint8Array, codecs: readonly Codec[]): Codec | undefined {
  for (let c = 0; c < codecs.length; c++) {
    const codec = codecs[c]!;
    let prefix: Uint8Array;
    try {
      prefix = prefixOf(codec.id);
    } catch {
      continue; // an id over 255 bytes is never written, so never found
    }
    if (bytes.length < prefix.length) continue;
    let i = 0;
    while (i < prefix.length && bytes[i] === prefix[i]) i++;
    if (i === prefix.length) return codec;
  }
  return undefined;
}

/** Why no codec matched: the id unreadable, or not configured (as the entry spells it). */
function unknownCodec(entry: JournalEntry): CheckpointError {
  const { bytes } = entry;
  const idLength = bytes[0];
  if (idLength === undefined || bytes.length < 1 + idLength)
    return bad(entry.seq, 'journal entry is shorter than its codec id');
  let id: string;
  try {
    id = utf8Decoder.decode(bytes.subarray(1, 1 + idLength));
  } catch (cause) {
    return new CheckpointError('decode', { seq: entry.seq, detail: 'journal entry codec id is not UTF-8', cause });
  }
  return bad(entry.seq, `journal entry codec "${id}" is not configured; pass it in the codec or readCodecs option`);
}

/**
 * Decodes a journal entry written by {@link encodeJournaledEvent} with one of
 * `codecs`. Throws `decode` (unknown codec, malformed) or a codec safety error.
 *
 * @example
 * ```ts
 * import { taggedJsonCodec, type JournalEntry } from 'xstate-checkpoint';
 * import { decodeJournaledEvent } from 'xstate-checkpoint/journal';
 * declare const entry: JournalEntry;
 * const { event, target } = decodeJournaledEvent(entry, [taggedJsonCodec]);
 * ```
 */
export function decodeJournaledEvent(
  entry: JournalEntry,
  codecs: readonly Codec[],
  limits?: DecodeLimits,
): JournaledEvent {
  const { bytes, seq } = entry;
  // Matched as bytes: a replay decodes thousands of entries, all with one of a few ids.
  const codec = codecFor(bytes, codecs);
  if (!codec) throw unknownCodec(entry);
  const value = codec.decode(bytes.subarray(1 + bytes[0]!), limits);
  if (!Array.isArray(value) || value.length < 3 || value.length > 4)
    throw bad(seq, 'journal entry is not an event record');
  const at: unknown = value[0];
  const event: unknown = value[1];
  const target: unknown = value[2];
  const source: unknown = value[3];
  if (typeof at !== 'number' || typeof event !== 'object' || event === null)
    throw bad(seq, 'journal entry has no event');
  if (typeof (event as Record<string, unknown>)['type'] !== 'string') throw bad(seq, 'journal entry has no event');
  if (!isPath(target) || (source !== undefined && !isPath(source)))
    throw bad(seq, 'journal entry has a malformed path');
  return { seq, at, event: event as EventObject, target, source };
}
