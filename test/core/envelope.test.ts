import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCheckpointError } from 'xstate-checkpoint';
import {
  ENVELOPE_FORMAT,
  crc32,
  encodeEnvelope,
  openEnvelope,
  readEnvelopeHeader,
  type EnvelopeFields,
} from 'xstate-checkpoint/adapter-kit';
import { errorOf } from '../helpers/errors.js';

const fields: EnvelopeFields = {
  machine: 'order',
  version: 3,
  seq: 42,
  epoch: 7,
  createdAt: 1_700_000_000_000,
  codec: 'xsc1',
};
const payload = new TextEncoder().encode('[{"hello":"world"}]');

/** An envelope built by hand, with a valid header checksum over whatever header text is given. */
function handMade(header: string, body: Uint8Array = payload, format = ENVELOPE_FORMAT): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(12 + h.length + body.length);
  out.set([0x58, 0x53, 0x43, 0x4b, format, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(6, h.length);
  view.setUint32(8, crc32(h));
  out.set(h, 12);
  out.set(body, 12 + h.length);
  return out;
}
const headerJson = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ format: 1, ...fields, length: payload.length, crc: crc32(payload), ...over });

describe('envelope', () => {
  it('round-trips every header field and the exact payload bytes', () => {
    const bytes = encodeEnvelope(fields, payload);
    const { header, payload: back } = openEnvelope(bytes);
    expect(header).toEqual({ format: ENVELOPE_FORMAT, ...fields, length: payload.length, crc: crc32(payload) });
    expect([...back]).toEqual([...payload]);
    expect(readEnvelopeHeader(bytes)).toEqual(header);
  });

  it('carries the optional journal position in the header, and leaves it out when not given', () => {
    const bytes = encodeEnvelope({ ...fields, journal: 17 }, payload);
    expect(openEnvelope(bytes).header.journal).toBe(17);
    expect(Object.hasOwn(openEnvelope(encodeEnvelope(fields, payload)).header, 'journal')).toBe(false);
  });

  it('starts with the XSCK magic, the format byte and a zero reserved byte', () => {
    const bytes = encodeEnvelope(fields, payload);
    expect([...bytes.subarray(0, 6)]).toEqual([0x58, 0x53, 0x43, 0x4b, ENVELOPE_FORMAT, 0]);
  });

  it('works on a view into a larger buffer and with an empty payload and a unicode machine id', () => {
    const inner = encodeEnvelope({ ...fields, machine: 'bestellung-ü-😀' }, new Uint8Array(0));
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 3);
    const { header, payload: back } = openEnvelope(outer.subarray(3, 3 + inner.length));
    expect(header.machine).toBe('bestellung-ü-😀');
    expect(back.length).toBe(0);
  });

  it('reads the header without checking the payload; opening checks the payload', () => {
    const bytes = encodeEnvelope(fields, payload);
    bytes[bytes.length - 1]! ^= 1;
    expect(readEnvelopeHeader(bytes).seq).toBe(42);
    expect(errorOf(() => openEnvelope(bytes)).detail).toBe('payload checksum mismatch');
  });

  it('detects every single-bit flip at every byte (100%)', () => {
    const bytes = encodeEnvelope(fields, payload);
    let detected = 0;
    let total = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = bytes.slice();
        copy[i]! ^= 1 << bit;
        total++;
        const error = errorOf(() => openEnvelope(copy));
        if (error.code === 'corrupt') detected++;
      }
    }
    expect(detected).toBe(total);
    expect(total).toBe(bytes.length * 8);
  });

  it('detects truncation at every length and any trailing bytes (100%)', () => {
    const bytes = encodeEnvelope(fields, payload);
    for (let n = 0; n < bytes.length; n++) {
      expect(errorOf(() => openEnvelope(bytes.subarray(0, n))).code).toBe('corrupt');
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(errorOf(() => openEnvelope(longer)).detail).toMatch(/trailing bytes/);
  });

  it('on random damage (flips, cuts, insertions, overwrites) yields only corrupt errors', () => {
    const base = encodeEnvelope(fields, new TextEncoder().encode(JSON.stringify([{ a: 'x'.repeat(200) }])));
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
      fc.record({
        kind: fc.constant('write' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(damage, { minLength: 1, maxLength: 4 }), (steps) => {
        let bytes = base.slice();
        for (const s of steps) {
          const at = s.at % (bytes.length + 1);
          if (s.kind === 'flip' && at < bytes.length) bytes[at]! ^= 1 << s.bit;
          else if (s.kind === 'cut') bytes = bytes.slice(0, at);
          else if (s.kind === 'insert')
            bytes = new Uint8Array([...bytes.subarray(0, at), ...s.bytes, ...bytes.subarray(at)]);
          else if (s.kind === 'write')
            for (let i = 0; i < s.bytes.length && at + i < bytes.length; i++) bytes[at + i] = s.bytes[i]!;
        }
        let error: unknown;
        try {
          openEnvelope(bytes);
        } catch (e) {
          error = e;
        }
        // Writing the same bytes back is not damage; anything else must be caught.
        const same = bytes.length === base.length && bytes.every((b, i) => b === base[i]);
        if (same) expect(error).toBeUndefined();
        else expect(isCheckpointError(error) && error.code).toBe('corrupt');
      }),
      { numRuns: 1000 },
    );
  });

  it('on arbitrary bytes yields only corrupt errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (random, withMagic) => {
        const bytes = withMagic ? new Uint8Array([0x58, 0x53, 0x43, 0x4b, 1, 0, ...random]) : random;
        let error: unknown;
        try {
          openEnvelope(bytes);
        } catch (e) {
          error = e;
        }
        expect(isCheckpointError(error) && error.code).toBe('corrupt');
      }),
      { numRuns: 500 },
    );
  });

  describe('refuses malformed envelopes with a corrupt error that says why', () => {
    const cases: Array<[string, () => Uint8Array, RegExp]> = [
      ['bad magic', () => new TextEncoder().encode('JUNKJUNKJUNKJUNK'), /magic/],
      ['another format', () => handMade(headerJson(), payload, 9), /format 9 is not supported/],
      [
        'a non-zero reserved byte',
        () => {
          const b = encodeEnvelope(fields, payload);
          b[5] = 1;
          return b;
        },
        /reserved/,
      ],
      ['a header that is not JSON', () => handMade('{not json'), /not valid JSON/],
      ['a header that is not an object', () => handMade('[1,2]'), /header/],
      ['a header without seq', () => handMade(headerJson({ seq: undefined })), /"seq"/],
      ['a negative seq', () => handMade(headerJson({ seq: -1 })), /"seq"/],
      ['a fractional version', () => handMade(headerJson({ version: 1.5 })), /"version"/],
      ['a machine that is not a string', () => handMade(headerJson({ machine: 5 })), /"machine"/],
      ['a header format that differs from the prefix', () => handMade(headerJson({ format: 2 })), /format/],
      ['a header that runs past the end', () => encodeEnvelope(fields, payload).subarray(0, 20), /truncated/],
      ['a wrong payload length', () => handMade(headerJson({ length: payload.length + 1 })), /truncated/],
      ['a wrong payload checksum', () => handMade(headerJson({ crc: 1 })), /payload checksum/],
      ['a journal position that is not an integer', () => handMade(headerJson({ journal: 'x' })), /"journal"/],
    ];
    for (const [name, make, detail] of cases) {
      it(name, () => {
        const error = errorOf(() => openEnvelope(make()));
        expect(error.code).toBe('corrupt');
        expect(error.detail).toMatch(detail);
      });
    }

    it('a header that is valid JSON but invalid UTF-8 cannot slip through (fatal decoding)', () => {
      const h = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // {"a":"\xff"}
      const out = new Uint8Array(12 + h.length);
      out.set([0x58, 0x53, 0x43, 0x4b, 1, 0]);
      new DataView(out.buffer).setUint16(6, h.length);
      new DataView(out.buffer).setUint32(8, crc32(h));
      out.set(h, 12);
      expect(errorOf(() => readEnvelopeHeader(out)).detail).toMatch(/not valid JSON/);
    });
  });

  describe('never writes an envelope it could not read', () => {
    const bad: Array<[string, Partial<Record<keyof EnvelopeFields, unknown>>]> = [
      ['negative seq', { seq: -1 }],
      ['fractional createdAt', { createdAt: 1.5 }],
      ['NaN version', { version: NaN }],
      ['unsafe epoch', { epoch: 2 ** 53 }],
      ['non-string machine', { machine: 1 }],
      ['negative journal position', { journal: -1 }],
    ];
    for (const [name, over] of bad) {
      it(name, () => {
        const error = errorOf(() => encodeEnvelope({ ...fields, ...over } as EnvelopeFields, payload));
        expect(error.code).toBe('encode');
      });
    }

    it('a header over 64 KiB', () => {
      expect(errorOf(() => encodeEnvelope({ ...fields, machine: 'm'.repeat(70_000) }, payload)).code).toBe('encode');
    });
  });
});
