import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistActor, taggedJsonCodec } from 'xstate-checkpoint';
import {
  COMPRESSED_ENVELOPE_FORMAT,
  checkCompress,
  crc32,
  encodeEnvelope,
  ENVELOPE_FORMAT,
  inflatePayload,
  openEnvelope,
  readEnvelopeHeader,
  sealEnvelope,
} from 'xstate-checkpoint/adapter-kit';
import { decodeCheckpoint } from 'xstate-checkpoint/pipeline';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { republish } from '../../cli/republish.js';
import { errorOf } from '../helpers/errors.js';

const fields = { machine: 'order', version: 1, seq: 7, epoch: 0, createdAt: 1_700_000_000_000, codec: 'xsc1' };
const rich = (n: number) => ({
  snapshot: {
    status: 'active',
    value: 'open',
    context: {
      items: Array.from({ length: n }, (_, i) => ({
        id: `item-${i}`,
        at: new Date(i * 1000),
        qty: i % 7,
        tags: new Set(['a']),
      })),
    },
  },
  timers: [],
});

describe('sealEnvelope and inflatePayload', () => {
  it('below the threshold, or without compress, writes format 1 byte for byte as encodeEnvelope', async () => {
    const payload = taggedJsonCodec.encode(rich(10));
    const plain = encodeEnvelope(fields, payload);
    expect(await sealEnvelope(fields, payload, { above: payload.length + 1 })).toEqual(plain);
    expect(await sealEnvelope(fields, payload, false)).toEqual(plain);
    expect(await sealEnvelope(fields, payload, undefined)).toEqual(plain);
    expect(plain[4]).toBe(ENVELOPE_FORMAT);
  });

  it('above it writes format 2: gzip, rawLength, and length and CRC of the stored (compressed) bytes', async () => {
    const payload = taggedJsonCodec.encode(rich(2000));
    const bytes = await sealEnvelope(fields, payload, { above: 1024 });
    expect(bytes[4]).toBe(COMPRESSED_ENVELOPE_FORMAT);
    const { header, payload: stored } = openEnvelope(bytes);
    expect(header).toMatchObject({ format: 2, compression: 'gzip', rawLength: payload.length, length: stored.length });
    expect(header.crc).toBe(crc32(stored));
    expect(stored.length).toBeLessThan(payload.length / 5);
    // gzip magic: a tool can read the payload with zcat.
    expect([stored[0], stored[1]]).toEqual([0x1f, 0x8b]);
    expect(await inflatePayload(header, stored)).toEqual(payload);
    const decoded = await decodeCheckpoint(bytes, [taggedJsonCodec]);
    expect(decoded.data).toEqual(rich(2000));
  });

  it('compress: true compresses from 64 KiB on', async () => {
    const small = taggedJsonCodec.encode(rich(100));
    const large = taggedJsonCodec.encode(rich(3000));
    expect(small.length).toBeLessThan(64 * 1024);
    expect(large.length).toBeGreaterThan(64 * 1024);
    expect((await sealEnvelope(fields, small, true))[4]).toBe(1);
    expect((await sealEnvelope(fields, large, true))[4]).toBe(2);
  });

  it('stores a payload that does not shrink as it is (format 1)', async () => {
    const noise = new Uint8Array(100_000);
    for (let i = 0; i < noise.length; i += 65_536) crypto.getRandomValues(noise.subarray(i, i + 65_536));
    const bytes = await sealEnvelope(fields, noise, { above: 0 });
    expect(Buffer.from(bytes).equals(encodeEnvelope(fields, noise))).toBe(true);
  });

  it('reads a format-1 envelope written before compression existed (the docs example)', async () => {
    const hex =
      '5853434b01000081e893365f' +
      Buffer.from(
        '{"format":1,"machine":"order","version":2,"seq":7,"epoch":1,"createdAt":1700000000000,"codec":"xsc1","length":4,"crc":3936877308}',
      ).toString('hex') +
      '5b7b7d5d';
    const bytes = new Uint8Array(Buffer.from(hex, 'hex'));
    expect(readEnvelopeHeader(bytes)).not.toHaveProperty('compression');
    expect(await inflatePayload(openEnvelope(bytes).header, openEnvelope(bytes).payload)).toEqual(
      new TextEncoder().encode('[{}]'),
    );
  });

  it('refuses an unknown compression with decode, naming it', async () => {
    const bytes = encodeEnvelope({ ...fields, compression: 'zstd', rawLength: 4 }, new Uint8Array([1, 2, 3]));
    const error = await errorOf(decodeCheckpoint(bytes, [taggedJsonCodec]));
    expect(error.code).toBe('decode');
    expect(error.detail).toMatch(/compression "zstd" is not supported/);
  });

  it('a format-2 header without compression fields is corrupt', () => {
    const header = JSON.stringify({ ...fields, format: 2, length: 0, crc: 0 });
    const h = new TextEncoder().encode(header);
    const out = new Uint8Array(12 + h.length);
    out.set([0x58, 0x53, 0x43, 0x4b, 2, 0], 0);
    new DataView(out.buffer).setUint16(6, h.length);
    new DataView(out.buffer).setUint32(8, crc32(h));
    out.set(h, 12);
    expect(() => readEnvelopeHeader(out)).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });

  it('a damaged gzip stream (valid envelope CRC) is decode', async () => {
    const payload = taggedJsonCodec.encode(rich(500));
    const { header, payload: stored } = openEnvelope(await sealEnvelope(fields, payload, { above: 0 }));
    const damaged = stored.slice();
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    const bytes = encodeEnvelope({ ...fields, compression: 'gzip', rawLength: header.rawLength! }, damaged);
    expect((await errorOf(decodeCheckpoint(bytes, [taggedJsonCodec]))).code).toBe('decode');
    const cut = encodeEnvelope(
      { ...fields, compression: 'gzip', rawLength: header.rawLength! },
      stored.subarray(0, 100),
    );
    expect((await errorOf(decodeCheckpoint(cut, [taggedJsonCodec]))).code).toBe('decode');
  });

  describe('decompression bombs are too-large', () => {
    // 256 MiB of zeros in ~250 KB of gzip.
    const bomb = new Uint8Array(gzipSync(new Uint8Array(256 * 1024 * 1024), { level: 9 }));

    it('refuses a header that says it inflates past maxBytes without inflating', async () => {
      const bytes = encodeEnvelope({ ...fields, compression: 'gzip', rawLength: 256 * 1024 * 1024 }, bomb);
      const error = await errorOf(decodeCheckpoint(bytes, [taggedJsonCodec], { maxBytes: 1024 * 1024 }));
      expect(error.code).toBe('too-large');
      expect(error.detail).toMatch(/says it inflates to 268435456 bytes/);
    });

    it('stops a stream that inflates past its (lying) rawLength as soon as it passes it', async () => {
      // The second half of a 16 MiB bomb is replaced by garbage: a reader that inflated
      // the whole stream before checking its size would fail there (decode), not with too-large.
      const poisoned = new Uint8Array(gzipSync(new Uint8Array(16 * 1024 * 1024), { level: 9 }));
      poisoned.fill(0xaa, Math.floor(poisoned.length / 2), poisoned.length - 8);
      const bytes = encodeEnvelope({ ...fields, compression: 'gzip', rawLength: 1024 * 1024 }, poisoned);
      const error = await errorOf(decodeCheckpoint(bytes, [taggedJsonCodec]));
      expect(error.code).toBe('too-large');
      expect(error.detail).toMatch(/inflates past the 1048576 bytes its header says/);
      const whole = encodeEnvelope({ ...fields, compression: 'gzip', rawLength: 16 * 1024 * 1024 }, poisoned);
      // The same stream read further does reach the garbage.
      expect((await errorOf(decodeCheckpoint(whole, [taggedJsonCodec]))).code).toBe('decode');
    });

    it('is quarantined by restore, which falls back to the generation before', async () => {
      const machine = createMachine({
        id: 'order',
        context: { n: 0 },
        on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
      });
      const adapter = memoryAdapter();
      const p = await persistActor(machine, { key: 'b', adapter, flushOnExit: false, compress: { above: 0 } });
      p.actor.send({ type: 'INC' });
      await p.flush();
      await p.close();
      const newest = (await adapter.list('b'))[0]!;
      const bytes = encodeEnvelope(
        { ...fields, seq: newest.seq + 1, createdAt: newest.createdAt, compression: 'gzip', rawLength: 1000 },
        bomb,
      );
      await adapter.write('b', { seq: newest.seq + 1, epoch: 0, createdAt: 0, byteLength: bytes.length, bytes });
      const again = await persistActor(machine, { key: 'b', adapter, flushOnExit: false });
      expect(again.restored.rejected).toEqual([expect.objectContaining({ seq: newest.seq + 1, code: 'too-large' })]);
      expect(again.actor.getSnapshot().context.n).toBe(1);
      expect((await adapter.listQuarantine('b')).map((q) => q.seq)).toEqual([newest.seq + 1]);
      await again.close();
    });
  });
});

describe('persistActor({ compress })', () => {
  const machine = createMachine({
    id: 'order',
    context: { items: [] as Array<{ id: string; at: Date }> },
    on: {
      ADD: {
        actions: assign({
          items: ({ context }) => [
            ...context.items,
            ...Array.from({ length: 500 }, (_, i) => ({ id: `i-${context.items.length + i}`, at: new Date(i) })),
          ],
        }),
      },
    },
  });

  it('stores large generations compressed and restores them, Dates included; a reader needs no option', async () => {
    const adapter = memoryAdapter();
    const p = await persistActor(machine, { key: 'c', adapter, flushOnExit: false, compress: { above: 4096 } });
    await p.flush();
    const small = (await adapter.list('c'))[0]!;
    p.actor.send({ type: 'ADD' });
    p.actor.send({ type: 'ADD' });
    const info = await p.flush();
    await p.close();
    expect((await adapter.read('c', small.seq))![4]).toBe(1);
    const stored = (await adapter.read('c', info!.seq))!;
    expect(stored[4]).toBe(2);
    expect(info!.byteLength).toBe(stored.length);
    const raw = readEnvelopeHeader(stored).rawLength!;
    expect(stored.length).toBeLessThan(raw / 4);
    const again = await persistActor(machine, { key: 'c', adapter, flushOnExit: false });
    expect(again.restored).toMatchObject({ source: 'checkpoint', seq: info!.seq, rejected: [] });
    expect(again.actor.getSnapshot().context.items).toHaveLength(1000);
    expect(again.actor.getSnapshot().context.items[999]!.at).toEqual(new Date(499));
    await again.close();
  });

  it('journal mode compresses its generations too', async () => {
    const adapter = memoryAdapter();
    const p = await persistActor(machine, {
      key: 'j',
      adapter,
      flushOnExit: false,
      journal: { compactEvery: 1 },
      compress: { above: 1024 },
    });
    p.actor.send({ type: 'ADD' });
    await p.flush();
    await p.close();
    const newest = (await adapter.list('j'))[0]!;
    expect((await adapter.read('j', newest.seq))![4]).toBe(2);
    const again = await persistActor(machine, { key: 'j', adapter, flushOnExit: false, journal: true });
    expect(again.actor.getSnapshot().context.items).toHaveLength(500);
    await again.close();
  });

  it('republishing a compressed generation (CLI quarantine restore, rollback) keeps it compressed and readable', async () => {
    const adapter = memoryAdapter();
    const payload = taggedJsonCodec.encode(rich(1000));
    const sealed = await sealEnvelope(fields, payload, { above: 0 });
    const { seq } = await republish(adapter, 'r', openEnvelope(sealed), 5);
    const decoded = await decodeCheckpoint((await adapter.read('r', seq))!, [taggedJsonCodec]);
    expect(decoded.header).toMatchObject({ compression: 'gzip', seq });
    expect(decoded.data).toEqual(rich(1000));
  });

  it('refuses a compress option it cannot use with invalid-option', () => {
    for (const bad of [{ above: -1 }, { above: 1.5 }, { above: Number.NaN }]) {
      expect(() => checkCompress(bad, 'k')).toThrow(expect.objectContaining({ code: 'invalid-option' }));
    }
    expect(() => checkCompress(true)).not.toThrow();
  });
});
