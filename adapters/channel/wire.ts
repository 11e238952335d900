import type { AcquireOptions, AdapterCapabilities, CheckpointRecord } from '../../src/adapter.js';
import { CheckpointError, type CheckpointErrorCode } from '../../src/errors.js';

/** Every method a channel carries, the one list {@link ChannelMethod} and the server's check derive from. */
export const CHANNEL_METHODS = [
  'describe',
  'list',
  'readNewest',
  'read',
  'write',
  'remove',
  'keys',
  'quarantine',
  'listQuarantine',
  'readQuarantined',
  'deleteQuarantined',
  'acquire',
  'release',
  'subscribe',
  'notices',
  'unsubscribe',
] as const;

const methodSet: ReadonlySet<string> = new Set(CHANNEL_METHODS);

/** True for the name of a method a channel carries. */
export const isChannelMethod = (name: string): name is ChannelMethod => methodSet.has(name);

/**
 * The adapter methods a channel carries, plus `release` (of a lease), `describe`
 * (name and capabilities), and `subscribe` / `notices` / `unsubscribe` (a
 * subscription, its notices as a long poll, and its end).
 */
export type ChannelMethod = (typeof CHANNEL_METHODS)[number];

/** One call over the channel: plain data that survives structured clone (Uint8Array bytes included). */
export interface ChannelRequest {
  readonly method: ChannelMethod;
  readonly args: readonly unknown[];
}

/** A failure as it crosses the channel: the fields of a {@link CheckpointError}. */
export interface ChannelError {
  readonly code: CheckpointErrorCode;
  readonly key?: string | undefined;
  readonly adapter?: string | undefined;
  readonly seq?: number | undefined;
  readonly fromVersion?: number | undefined;
  readonly toVersion?: number | undefined;
  readonly path?: string[] | undefined;
  readonly detail?: string | undefined;
  readonly data?: Record<string, unknown> | undefined;
}

/** The answer to a {@link ChannelRequest}. Errors are data, so no transport has to carry exceptions. */
export type ChannelResponse =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ChannelError };

/** Sends a request to the side that serves the adapter and resolves with its {@link ChannelResponse}. */
export type ChannelInvoke = (request: ChannelRequest) => Promise<unknown>;

/** What the serving side runs for each request (never rejects). */
export type ChannelHandler = (request: unknown) => Promise<ChannelResponse>;

/** Name and capabilities of a served adapter, as `describe` returns them. */
export interface ChannelDescription {
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  /** The served adapter has `subscribe` (absent from servers older than this field: no). */
  readonly subscribe?: boolean;
}

/**
 * How long one `notices` call waits on the server before answering "nothing yet". Kept under
 * `timeoutMs` so a quiet key does not read as a dead channel.
 */
export const NOTICE_WAIT_MS = 25_000;

/** A non-null object, fields unchecked. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** The `invalid-option` error of a malformed request. */
export function invalid(detail: string, key?: string): CheckpointError {
  return new CheckpointError('invalid-option', { key, detail });
}

/** `value` as a number, or `invalid-option` naming `what`. */
export function number(value: unknown, what: string): number {
  if (typeof value !== 'number') throw invalid(`${what} must be a number`);
  return value;
}

/** `value` as a string, or `invalid-option` naming `what`. */
export function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  return value;
}

/** The `acquire` options a request carries, each field type-checked. */
export function acquireOptionsOf(raw: Record<string, unknown>): AcquireOptions {
  const out: { ttlMs?: number; waitMs?: number } = {};
  if (raw['ttlMs'] !== undefined) out.ttlMs = number(raw['ttlMs'], 'ttlMs');
  if (raw['waitMs'] !== undefined) out.waitMs = number(raw['waitMs'], 'waitMs');
  return out;
}

/** The record a `write` request carries, each field type-checked. */
export function checkRecord(raw: unknown): CheckpointRecord {
  if (!isObject(raw) || !(raw['bytes'] instanceof Uint8Array)) throw invalid('record.bytes must be a Uint8Array');
  return {
    seq: number(raw['seq'], 'record.seq'),
    epoch: number(raw['epoch'], 'record.epoch'),
    createdAt: number(raw['createdAt'], 'record.createdAt'),
    byteLength: number(raw['byteLength'], 'record.byteLength'),
    bytes: raw['bytes'],
  };
}

/** Only the record's own fields cross, whatever else the caller's object carries. */
export function plainRecord(record: CheckpointRecord): CheckpointRecord {
  return {
    seq: record.seq,
    epoch: record.epoch,
    createdAt: record.createdAt,
    byteLength: record.byteLength,
    bytes: record.bytes,
  };
}

/** A served answer that must be bytes or nothing; anything else is a `connection` error. */
export function bytesOrUndefined(value: unknown, adapter: string, key: string): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array) return value;
  // A transport that turned the bytes into a plain array or Buffer-like object.
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  throw new CheckpointError('connection', { key, adapter, detail: 'the answer carried no bytes' });
}

/** An error's `data`, kept only when structured clone can carry it. */
export function cloneable(data: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (data === undefined) return undefined;
  try {
    return structuredClone(data);
  } catch {
    // Data that cannot cross (functions, handles) is dropped; the code and detail still do.
    return undefined;
  }
}

/** A {@link CheckpointError} as the plain data that crosses the channel. */
export function errorData(error: CheckpointError): ChannelError {
  const cause = error.cause;
  return {
    code: error.code,
    key: error.key,
    adapter: error.adapter,
    seq: error.seq,
    fromVersion: error.fromVersion,
    toVersion: error.toVersion,
    path: error.path?.map(String),
    detail: error.detail ?? (cause instanceof Error ? cause.message : undefined),
    data: cloneable(error.data),
  };
}

/** A {@link CheckpointError} rebuilt from the data that crossed the channel. */
export function rebuildError(raw: unknown, adapter: string, key: string | undefined): CheckpointError {
  if (!isObject(raw) || typeof raw['code'] !== 'string') {
    return new CheckpointError('connection', { key, adapter, detail: 'malformed error answer' });
  }
  const e = raw as unknown as ChannelError;
  const served = e.adapter !== undefined && e.adapter !== adapter ? { servedBy: e.adapter } : {};
  return new CheckpointError(e.code, {
    key: e.key ?? key,
    adapter,
    seq: e.seq,
    fromVersion: e.fromVersion,
    toVersion: e.toVersion,
    path: e.path,
    detail: e.detail,
    data: e.data === undefined && !('servedBy' in served) ? undefined : { ...e.data, ...served },
  });
}
