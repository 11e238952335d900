import type { GenerationInfo, QuarantineInfo } from '../../src/adapter.js';

/**
 * A reply's `Buffer` as a plain `Uint8Array` over the same memory.
 *
 * @example
 * ```ts
 * toBytes(Buffer.from([1, 2])); // Uint8Array [1, 2]
 * ```
 */
export const toBytes = (buffer: Buffer): Uint8Array =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/**
 * A reply element as text (`callBuffer` answers with Buffers).
 *
 * @example
 * ```ts
 * text(Buffer.from('ok')); // 'ok'
 * ```
 */
export const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));

/**
 * A generation's metadata, stored as `"epoch|byteLength|createdAt|token"`.
 *
 * @example
 * ```ts
 * parseMeta(3, '1|120|1700000000000|a1b2').byteLength; // 120
 * ```
 */
export function parseMeta(seq: number, meta: string): GenerationInfo {
  const [epoch, byteLength, createdAt] = meta.split('|');
  return { seq, epoch: Number(epoch), byteLength: Number(byteLength), createdAt: Number(createdAt) };
}

/**
 * A quarantine record, stored as `"quarantinedAt\nmetadata\nreason"`.
 *
 * @example
 * ```ts
 * parseQuarantine('order-1', 3, '1700000000500\n1|120|1700000000000|a1b2\ncorrupt').reason; // 'corrupt'
 * ```
 */
export function parseQuarantine(key: string, seq: number, value: string): QuarantineInfo {
  const first = value.indexOf('\n');
  const second = value.indexOf('\n', first + 1);
  return {
    ...parseMeta(seq, value.slice(first + 1, second)),
    // Sequences are never reused for a key (the head remembers the highest), so the seq names it for good.
    id: String(seq),
    key,
    reason: value.slice(second + 1),
    quarantinedAt: Number(value.slice(0, first)),
  };
}
