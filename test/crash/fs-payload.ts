/**
 * The payload of generation `seq` in the crash tests: its size and every byte
 * follow from `seq`, so a restore can check the exact content, not only the
 * checksum. Sizes vary from 512 bytes to about 48 KB.
 *
 * @example
 * ```ts
 * import { payloadFor } from './fs-payload.js';
 * payloadFor(7).length; // 512 + (7 * 7919) % 48_000
 * ```
 */
export function payloadFor(seq: number): Uint8Array {
  const bytes = new Uint8Array(512 + ((seq * 7919) % 48_000));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + seq * 17) & 0xff;
  return bytes;
}

/** True when `bytes` is exactly {@link payloadFor}(`seq`). */
export function isPayloadOf(bytes: Uint8Array, seq: number): boolean {
  const expected = payloadFor(seq);
  if (bytes.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[i] !== expected[i]) return false;
  return true;
}
