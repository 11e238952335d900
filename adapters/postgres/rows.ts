import type { GenerationInfo, QuarantineInfo } from '../../src/adapter.js';

/**
 * A number from a row: `pg` returns `bigint` columns as strings.
 *
 * @example
 * ```ts
 * num('42'); // 42
 * ```
 */
export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

/**
 * The bytes as a `Buffer` over the same memory (what `pg` sends as `bytea`).
 *
 * @example
 * ```ts
 * toBuffer(new Uint8Array([1, 2])).length; // 2
 * ```
 */
export const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * A `bytea` column's `Buffer` as a plain `Uint8Array` over the same memory.
 *
 * @example
 * ```ts
 * toBytes(Buffer.from([1, 2])); // Uint8Array [1, 2]
 * ```
 */
export const toBytes = (buffer: Buffer): Uint8Array =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/**
 * A generation's row, as the `list` statement returns it.
 *
 * @example
 * ```ts
 * const row: GenerationRow = { seq: 3, epoch: 1, byte_length: 120, created_ms: 1_700_000_000_000 };
 * ```
 */
export interface GenerationRow {
  seq: number;
  epoch: number;
  byte_length: number;
  created_ms: number;
}

/**
 * The one row of the `newest` statement.
 *
 * @example
 * ```ts
 * const row: NewestRow = { seqs: ['3', '2'], quarantined_seq: '0', epoch: '1', newest_seq: '3', payload: Buffer.from([1]) };
 * ```
 */
export interface NewestRow {
  seqs: string[];
  quarantined_seq: string;
  epoch: string;
  newest_seq: string | null;
  payload: Buffer | null;
}

/**
 * A quarantined generation's row.
 *
 * @example
 * ```ts
 * const row: QuarantineRow = { key: 'k', seq: 3, epoch: 1, byte_length: 9, created_ms: 0, quarantine_reason: 'corrupt', quarantined_ms: 5 };
 * ```
 */
export interface QuarantineRow extends GenerationRow {
  key: string;
  quarantine_reason: string;
  quarantined_ms: number;
}

/**
 * A generation row as the contract's {@link GenerationInfo}.
 *
 * @example
 * ```ts
 * info({ seq: 3, epoch: 1, byte_length: 9, created_ms: 0 }).byteLength; // 9
 * ```
 */
export const info = (row: GenerationRow): GenerationInfo => ({
  seq: num(row.seq),
  epoch: num(row.epoch),
  byteLength: num(row.byte_length),
  createdAt: num(row.created_ms),
});

/**
 * A quarantined row as the contract's {@link QuarantineInfo}.
 *
 * @example
 * ```ts
 * quarantineInfo(row).id; // '3': the seq names it
 * ```
 */
export const quarantineInfo = (row: QuarantineRow): QuarantineInfo => ({
  ...info(row),
  // Sequences are never reused for a key (the heads row remembers the highest), so the seq names it for good.
  id: String(num(row.seq)),
  key: row.key,
  reason: row.quarantine_reason,
  quarantinedAt: num(row.quarantined_ms),
});

/**
 * The seq a quarantine id names, or `undefined` for an id this adapter never hands out.
 *
 * @example
 * ```ts
 * quarantineSeq('12'); // 12
 * quarantineSeq('012'); // undefined
 * ```
 */
export function quarantineSeq(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const seq = Number(id);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
