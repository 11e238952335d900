import { describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import { taggedJsonCodec, type Codec } from 'xstate-checkpoint';
import { decodeJournaledEvent, encodeJournaledEvent } from 'xstate-checkpoint/journal';
import { journalEntries, journalEntry } from '../../src/journal-entry.js';

// encodeJournaledEvent writes flat plain events with JSON.stringify instead of the
// codec's walk. The bytes must be the codec's, byte for byte: a copy of the codec
// object (same id and functions, another identity) always takes the codec's path.
const viaCodec: Codec = { ...taggedJsonCodec };

type AnyEvent = EventObject & Record<string, unknown>;

class Tagged {
  type = 'CLASS';
}
const withGetter: AnyEvent = Object.defineProperty({ type: 'GET' }, 'n', { enumerable: true, get: () => 1 });
const nullProto = Object.create(null) as AnyEvent;
nullProto.type = 'NULLPROTO';
const events: AnyEvent[] = [
  { type: 'INC' },
  { type: 'PAY', amount: 12.5, currency: 'EUR', ok: true, note: null },
  { type: 'QUOTE', text: 'a "quoted" \\ back\nslash\t\u0001' },
  { type: 'UNI', name: 'Zoë 東京 🎉', lone: '\ud800x' },
  { type: '~TILDE' },
  { type: 'T', s: '~u' },
  { type: 'T', s: '' },
  { type: 'NEG', n: -0 },
  { type: 'NAN', n: Number.NaN },
  { type: 'INF', n: Number.POSITIVE_INFINITY },
  { type: 'BIG', n: 10n },
  { type: 'UNDEF', x: undefined },
  { type: 'DATE', at: new Date(5) },
  { type: 'NESTED', order: { id: 'o-1', lines: [1, 2] } },
  { type: 'ARR', xs: [1, 'a'] },
  JSON.parse('{"type":"PROTO","__proto__":{"x":1}}') as AnyEvent,
  new Tagged() as unknown as AnyEvent,
  withGetter,
  nullProto,
];
const paths: Array<[readonly string[], (readonly string[])?]> = [
  [[]],
  [['child']],
  [['a', 'b'], ['c']],
  [['~x']],
  [[], ['p', '~q']],
];

describe('encodeJournaledEvent', () => {
  it.each(events.map((e, i) => [i, e] as const))('event %i: the same bytes as the codec writes', (_, event) => {
    for (const at of [1_700_000_000_000, 0, -0, 1.5]) {
      for (const [target, source] of paths) {
        const fast = encodeJournaledEvent(taggedJsonCodec, at, event, target, source);
        const slow = encodeJournaledEvent(viaCodec, at, event, target, source);
        expect(Buffer.from(fast).toString('hex')).toBe(Buffer.from(slow).toString('hex'));
      }
    }
  });

  it('decodes what it wrote', () => {
    const pay: AnyEvent = { type: 'PAY', amount: 3, who: 'Zoë' };
    const bytes = encodeJournaledEvent(taggedJsonCodec, 7, pay, ['c'], ['p']);
    expect(decodeJournaledEvent({ seq: 4, bytes }, [taggedJsonCodec])).toEqual({
      seq: 4,
      at: 7,
      event: { type: 'PAY', amount: 3, who: 'Zoë' },
      target: ['c'],
      source: ['p'],
    });
  });
});

describe('journalEntries (one UTF-8 encoding per group)', () => {
  const one = (event: AnyEvent, target: readonly string[], source?: readonly string[]) =>
    journalEntry(taggedJsonCodec, 1_700_000_000_000, event, target, source);
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

  it('numbers a group from its first seq, each entry with the bytes encodeJournaledEvent writes', () => {
    const asciiOnly = events.filter((e) => e.type !== 'UNI' && e.type !== 'QUOTE');
    for (const group of [events, asciiOnly]) {
      const pending = group.flatMap((e) => paths.map(([target, source]) => one(e, target, source)));
      expect(pending.some((p) => typeof p === 'string')).toBe(true);
      expect(pending.some((p) => typeof p !== 'string')).toBe(true); // the codec's path, mixed in
      const entries = journalEntries(41, pending);
      const expected = group.flatMap((e) =>
        paths.map(([target, source]) => encodeJournaledEvent(viaCodec, 1_700_000_000_000, e, target, source)),
      );
      expect(entries.map((e) => e.seq)).toEqual(expected.map((_, i) => 41 + i));
      expect(entries.map((e) => hex(e.bytes))).toEqual(expected.map(hex));
    }
  });

  it('gives every entry a buffer of its own (a store may keep the whole buffer)', () => {
    const entries = journalEntries(1, [one({ type: 'A' }, []), one({ type: 'B', n: 2 }, ['c'])]);
    for (const e of entries) {
      expect(e.bytes.byteOffset).toBe(0);
      expect(e.bytes.buffer.byteLength).toBe(e.bytes.length);
    }
    expect(journalEntries(1, [])).toEqual([]);
  });
});
