import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'xstate-checkpoint/adapter-kit';

/** Bit-at-a-time CRC-32 (IEEE, reflected, poly 0xedb88320): slow and obviously right. */
function reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('matches the published check values', () => {
    expect(crc32(ascii(''))).toBe(0);
    expect(crc32(ascii('a'))).toBe(0xe8b7be43);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('equals zlib and a bitwise reference for every length 0..300 and every alignment', () => {
    const data = new Uint8Array(320);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length + offset <= 300; length++) {
        const view = data.subarray(offset, offset + length);
        const expected = reference(view);
        expect(crc32(view)).toBe(expected);
        expect(crc32(data, offset, offset + length)).toBe(expected);
      }
    }
  });

  it('equals zlib on random data, views and ranges', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        expect(crc32(bytes)).toBe(zlibCrc32(bytes));
        expect(crc32(bytes, start, end)).toBe(zlibCrc32(bytes.subarray(start, end)));
        expect(crc32(bytes.subarray(start, end))).toBe(zlibCrc32(bytes.subarray(start, end)));
      }),
      { numRuns: 300 },
    );
  });

  it('equals zlib on a large buffer', () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 5);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    expect(crc32(big)).toBe(zlibCrc32(big));
    expect(crc32(big, 3, big.length - 1)).toBe(zlibCrc32(big.subarray(3, big.length - 1)));
  });

  it('detects every single-bit error in a 1 KB block', () => {
    const block = new Uint8Array(1024).map((_, i) => i & 0xff);
    const good = crc32(block);
    for (let i = 0; i < block.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        block[i]! ^= 1 << bit;
        expect(crc32(block)).not.toBe(good);
        block[i]! ^= 1 << bit;
      }
    }
  });
});
