import type { CheckpointAdapter } from './adapter.js';
import type { CompressOptions } from './compression.js';
import { CheckpointError } from './errors.js';
import type { JournalOptions } from './journal-options.js';
import { checkRetention, type RetentionOptions } from './retention-options.js';

// The checks of the options only some apps set (journal, follow, lock, retain, compress): `prepareOptions`
// loads them only when one is set, and runs them in the same order as every other check.

/** Journal options with their defaults filled in. */
export interface ResolvedJournalOptions {
  readonly compactEvery: number;
  readonly compactAfterMs: number;
  readonly verifyReplay: boolean;
  readonly compactOnClose: boolean;
}

/** The options these checks read. */
export interface SetOptions {
  readonly key: string;
  readonly adapter: CheckpointAdapter;
  readonly journal?: boolean | JournalOptions | undefined;
  readonly follow?: unknown;
  readonly lock?: unknown;
  readonly retain?: RetentionOptions | undefined;
}

const bad = (key: string, detail: string) => new CheckpointError('invalid-option', { key, detail });

/**
 * The first check of all: `follow` and `journal` exclude each other.
 *
 * @example
 * ```ts
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { checkModes } from './option-checks.js';
 * checkModes({ key: 'k', adapter: memoryAdapter(), journal: true }); // fine
 * ```
 */
export function checkModes(o: SetOptions): void {
  if (o.journal && o.follow) throw bad(o.key, '`follow` is not available in journal mode');
}

/**
 * After the adapter is known to be one: journal mode needs its journal.
 *
 * @example
 * ```ts
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { checkJournalAdapter } from './option-checks.js';
 * checkJournalAdapter({ key: 'k', adapter: memoryAdapter(), journal: true }); // fine
 * ```
 */
export function checkJournalAdapter(o: SetOptions): void {
  if (o.journal && !o.adapter.journal) {
    throw bad(
      o.key,
      `journal mode needs an adapter with a journal; "${o.adapter.name}" has none (memoryAdapter and fileJournalAdapter have one)`,
    );
  }
}

/**
 * `lock` needs an adapter with locks, `follow` needs `lock`, and `retain` is checked.
 *
 * @example
 * ```ts
 * import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
 * import { checkLocking } from './option-checks.js';
 * checkLocking({ key: 'k', adapter: memoryAdapter(), lock: true, retain: { latest: 5 } }); // fine
 * ```
 */
export function checkLocking(o: SetOptions): void {
  if (o.lock && !o.adapter.acquire)
    throw bad(o.key, `\`lock\` needs an adapter with locks; "${o.adapter.name}" has none`);
  if (o.follow && !o.lock) throw bad(o.key, '`follow` needs `lock`: it follows whoever holds the lock');
  checkRetention(o.retain, o.key);
}

/**
 * Throws `invalid-option` for a `compress` option the kit cannot use, or when
 * this runtime has no `CompressionStream` (browsers since 2023, Node 18+).
 *
 * @example
 * ```ts
 * import { checkCompress } from 'xstate-checkpoint/adapter-kit';
 * checkCompress({ above: 128 * 1024 }, 'order-1');
 * ```
 */
export function checkCompress(option: boolean | CompressOptions | undefined, key?: string): void {
  if (!option) return;
  const above = option === true ? undefined : option.above;
  if (above !== undefined && !(Number.isSafeInteger(above) && above >= 0)) {
    throw new CheckpointError('invalid-option', {
      key,
      detail: '`compress.above` must be a whole number of bytes >= 0',
    });
  }
  if (typeof CompressionStream !== 'function' || typeof DecompressionStream !== 'function') {
    throw new CheckpointError('invalid-option', {
      key,
      detail: '`compress` needs CompressionStream and DecompressionStream, which this runtime lacks',
    });
  }
}

/**
 * The journal options with their defaults, checked; `undefined` in snapshot mode.
 *
 * @example
 * ```ts
 * import { resolveJournal } from './option-checks.js';
 * resolveJournal('k', { compactEvery: 5 })?.compactAfterMs; // 60000
 * ```
 */
export function resolveJournal(
  key: string,
  journal: boolean | JournalOptions | undefined,
): ResolvedJournalOptions | undefined {
  if (!journal) return undefined;
  const jo: JournalOptions = typeof journal === 'object' ? journal : {};
  const resolved = {
    compactEvery: jo.compactEvery ?? 1000,
    compactAfterMs: jo.compactAfterMs ?? 60_000,
    verifyReplay: jo.verifyReplay ?? true,
    compactOnClose: jo.compactOnClose ?? true,
  };
  if (!(Number.isInteger(resolved.compactEvery) && resolved.compactEvery >= 1))
    throw bad(key, '`journal.compactEvery` must be an integer >= 1');
  if (!(resolved.compactAfterMs > 0)) throw bad(key, '`journal.compactAfterMs` must be a positive number of ms');
  return resolved;
}
