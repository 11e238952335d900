import { isCheckpointError } from '../errors.js';

/**
 * A failed conformance check. Its message says what the adapter did and what
 * the contract wants; test runners report it like any failed assertion.
 */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
  constructor(
    message: string,
    readonly actual?: unknown,
    readonly expected?: unknown,
  ) {
    super(message);
  }
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 300 ? `${text.slice(0, 297)}...` : text;
  } catch {
    // Cycles and BigInts: the type is still worth showing.
    return Object.prototype.toString.call(value);
  }
}

/** Throws when `condition` is false. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

/** Structural equality of plain data: objects (any key order), arrays, primitives with `Object.is`. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Throws unless `actual` equals `expected` structurally. */
export function equal(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) {
    throw new ConformanceFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`, actual, expected);
  }
}

/** Throws unless every field of `expected` equals the same field of `actual`. */
export function matches(actual: unknown, expected: Record<string, unknown>, what: string): void {
  const fields = typeof actual === 'object' && actual !== null ? (actual as Record<string, unknown>) : undefined;
  for (const [k, v] of Object.entries(expected)) {
    if (!fields || !deepEqual(fields[k], v)) {
      throw new ConformanceFailure(
        `${what}: expected .${k} to be ${show(v)}, got ${show(fields?.[k])}`,
        actual,
        expected,
      );
    }
  }
}

/** Throws unless `actual` holds exactly the bytes of `expected` (compared without a deep walk: fast on megabytes). */
export function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array, what = 'bytes'): void {
  if (!(actual instanceof Uint8Array))
    throw new ConformanceFailure(`${what}: expected a Uint8Array, got ${show(actual)}`);
  if (actual.length !== expected.length) {
    throw new ConformanceFailure(`${what}: expected ${expected.length} bytes, got ${actual.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new ConformanceFailure(`${what}: first differing byte at ${i} (${actual[i]} instead of ${expected[i]})`);
    }
  }
}

/**
 * The error code a call fails with, or `'ok'` when it succeeds. Anything but
 * a CheckpointError fails the check: the contract has one error class.
 */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (!isCheckpointError(error)) {
      throw new ConformanceFailure(
        `expected a CheckpointError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
    return error.code;
  }
  return 'ok';
}
