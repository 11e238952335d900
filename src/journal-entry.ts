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
 * Encodes one delivery for the journal: the codec id (length byte + UTF-8),
 * then the codec's bytes of `[at, event, target, source?]`. With the default
 * codec and a flat event of plain values (the common case) the bytes are
 * built by `JSON.stringify` directly: the same bytes the codec writes for
 * plain data (its format is the JSON of `[value]` then), without its walk.
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
): Uint8Array {
  const record = source === undefined ? [at, event, target] : [at, event, target, source];
  const prefix = prefixOf(codec.id);
  const plain =
    codec === taggedJsonCodec &&
    plainNumber(at) &&
    plainPath(target) &&
    (source === undefined || plainPath(source)) &&
    plainEvent(event);
  if (plain) {
    const text = JSON.stringify([record]);
    // Sized for ASCII (one byte per unit); any other character needs more bytes, so it does not fit.
    const out = new Uint8Array(prefix.length + text.length);
    out.set(prefix, 0);
    if (utf8.encodeInto(text, out.subarray(prefix.length)).read === text.length) return out;
  }
  const payload = plain ? utf8.encode(JSON.stringify([record])) : codec.encode(record);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

const isPath = (p: unknown): p is string[] => Array.isArray(p) && p.every((x) => typeof x === 'string');

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
  const bad = (detail: string) => new CheckpointError('decode', { seq: entry.seq, detail });
  const { bytes } = entry;
  const idLength = bytes[0];
  if (idLength === undefined || bytes.length < 1 + idLength) throw bad('journal entry is shorter than its codec id');
  let id: string;
  try {
    id = utf8Decoder.decode(bytes.subarray(1, 1 + idLength));
  } catch (cause) {
    throw new CheckpointError('decode', { seq: entry.seq, detail: 'journal entry codec id is not UTF-8', cause });
  }
  const codec = codecs.find((c) => c.id === id);
  if (!codec) throw bad(`journal entry codec "${id}" is not configured; pass it in the codec or readCodecs option`);
  const value = codec.decode(bytes.subarray(1 + idLength), limits);
  if (!Array.isArray(value) || value.length < 3 || value.length > 4) throw bad('journal entry is not an event record');
  const [at, event, target, source] = value as unknown[];
  const e = event as Record<string, unknown> | null;
  if (typeof at !== 'number' || typeof e !== 'object' || e === null || typeof e['type'] !== 'string') {
    throw bad('journal entry has no event');
  }
  if (!isPath(target) || (source !== undefined && !isPath(source))) throw bad('journal entry has a malformed path');
  return { seq: entry.seq, at, event: event as EventObject, target, source };
}
