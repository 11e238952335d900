// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), slicing-by-8: pure JS so the
// same checksum is computed in Node and browsers, and fast enough to verify
// megabytes on every restore.
const tables: Int32Array[] = (() => {
  const result: Int32Array[] = [];
  for (let t = 0; t < 8; t++) result.push(new Int32Array(256));
  const t0 = result[0]!;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!;
    for (let t = 1; t < 8; t++) {
      c = t0[c & 0xff]! ^ (c >>> 8);
      result[t]![n] = c;
    }
  }
  return result;
})();

// Reading whole 32-bit words is about a third faster than assembling them from
// bytes, but the tables assume little-endian words (every common engine).
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const WORDS_FROM = 64;

/**
 * CRC-32 of `bytes[start, end)`, the same value as zlib's `crc32`.
 *
 * @example
 * ```ts
 * import { crc32 } from 'xstate-checkpoint/adapter-kit';
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  let crc = -1;
  let i = start;
  if (LITTLE_ENDIAN && end - i >= WORDS_FROM) {
    // Bytes up to a 4-byte boundary of the underlying buffer, then 8 bytes a step.
    const head = i + ((4 - ((bytes.byteOffset + i) & 3)) & 3);
    while (i < head) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
    const steps = (end - i) >>> 3;
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, steps * 2);
    for (let w = 0; w < words.length; w += 2) {
      const a = words[w]! ^ crc;
      const b = words[w + 1]!;
      crc =
        t7[a & 0xff]! ^
        t6[(a >>> 8) & 0xff]! ^
        t5[(a >>> 16) & 0xff]! ^
        t4[a >>> 24]! ^
        t3[b & 0xff]! ^
        t2[(b >>> 8) & 0xff]! ^
        t1[(b >>> 16) & 0xff]! ^
        t0[b >>> 24]!;
    }
    i += steps * 8;
  } else {
    const fast = end - ((end - i) & 7);
    while (i < fast) {
      const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc;
      crc =
        t7[a & 0xff]! ^
        t6[(a >>> 8) & 0xff]! ^
        t5[(a >>> 16) & 0xff]! ^
        t4[a >>> 24]! ^
        t3[bytes[i + 4]!]! ^
        t2[bytes[i + 5]!]! ^
        t1[bytes[i + 6]!]! ^
        t0[bytes[i + 7]!]!;
      i += 8;
    }
  }
  while (i < end) crc = t0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
