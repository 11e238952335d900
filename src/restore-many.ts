import type { AnyActorLogic } from 'xstate';
import type { CheckpointAdapter, NewestRead } from './adapter.js';
import { CheckpointError, toCheckpointError } from './errors.js';
import type { PersistOptions, RequiredInput } from './options.js';
import { persistActor } from './persist.js';
import type { PersistedActor } from './persisted-actor.js';
import { readNewestOf } from './read-newest.js';

/** Options of {@link persistAll}: those of `persistActor` but `key`, shared by every key. */
export interface PersistAllOptions<TLogic extends AnyActorLogic> extends Omit<PersistOptions<TLogic>, 'key'> {
  /** Restores in flight at once. @default 32 */
  readonly concurrency?: number;
  /** One key's own options on top of the shared ones (its `input`, say). @default none */
  readonly perKey?: (key: string, index: number) => Partial<Omit<PersistOptions<TLogic>, 'key' | 'adapter'>>;
}

/** What {@link persistAll} resolves with. */
export interface PersistAllResult<TLogic extends AnyActorLogic> {
  /** The restored (or fresh) actors, by key, in the order of `keys`. */
  readonly actors: Map<string, PersistedActor<TLogic>>;
  /** The keys whose `persistActor` rejected, with its typed error, in the order of `keys`. */
  readonly failed: Map<string, CheckpointError>;
}

/** Keys whose newest generations are read in one `readNewestMany`, just before they are restored. */
const CHUNK = 256;

/**
 * `persistActor` for many keys of one adapter: a service restarting with all
 * its orders. Each key gets exactly what `persistActor` gives it (verified
 * restore, fallback to older generations, quarantine, typed errors, its
 * restore report, locking when `lock` is set); one key's failure does not
 * stop the others (it is in `failed`). What is cheaper: keys are taken 256
 * at a time, and when the adapter has `readNewestMany` (the file and PostgreSQL adapters)
 * their newest generations are read in one call just before their restores
 * use them, instead of one `readNewest` each. Keys restored with `lock`,
 * `follow` or `journal` read their own newest generation after taking the
 * lock, as `persistActor` does. The actors' adapter is a view of `adapter`
 * that serves those reads; everything else goes to `adapter` itself.
 * Duplicate keys are refused with `invalid-option`.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistAll } from 'xstate-checkpoint';
 * import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
 *
 * const adapter = fileAdapter({ dir: './.checkpoints' });
 * const machine = createMachine({ id: 'order' });
 * const keys = await adapter.keys();
 * const { actors, failed } = await persistAll(machine, keys, { adapter, perKey: (key) => ({ input: { key } }) });
 * for (const [key, error] of failed) console.error(key, error.code);
 * ```
 */
export async function persistAll<TLogic extends AnyActorLogic>(
  logic: TLogic,
  keys: readonly string[],
  options: PersistAllOptions<TLogic>,
): Promise<PersistAllResult<TLogic>> {
  const { concurrency = 32, perKey, ...shared } = options;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new CheckpointError('invalid-option', {
      detail: `\`concurrency\` must be an integer >= 1, got ${concurrency}`,
    });
  }
  const duplicate = keys.find((key, i) => keys.indexOf(key) !== i);
  if (duplicate !== undefined) {
    throw new CheckpointError('invalid-option', { key: duplicate, detail: 'a key is given twice' });
  }
  const prefetched = new Map<string, NewestRead>();
  const view = shared.adapter?.readNewestMany ? prefetchView(shared.adapter, prefetched) : shared.adapter;
  const settled = new Array<PersistedActor<TLogic> | CheckpointError>(keys.length);
  for (let start = 0; start < keys.length; start += CHUNK) {
    const chunk = keys.slice(start, start + CHUNK).map((key, j) => {
      const own = { ...shared, ...perKey?.(key, start + j), key };
      return { key, index: start + j, options: own, prefetch: view !== shared.adapter && !own.lock && !own.journal };
    });
    await prefetch(
      shared.adapter,
      chunk.filter((c) => c.prefetch).map((c) => c.key),
      prefetched,
    );
    let next = 0;
    const worker = async () => {
      while (next < chunk.length) {
        const c = chunk[next++]!;
        const adapter = c.prefetch ? view : shared.adapter;
        settled[c.index] = await persistActor(logic, { ...c.options, adapter } as PersistOptions<TLogic> &
          RequiredInput<TLogic>).catch((error: unknown) =>
          toCheckpointError(error, 'io', { key: c.key, adapter: shared.adapter?.name }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chunk.length) }, worker));
    // A restore that threw before its read leaves its answer here: never serve it later.
    for (const c of chunk) prefetched.delete(c.key);
  }
  const actors = new Map<string, PersistedActor<TLogic>>();
  const failed = new Map<string, CheckpointError>();
  keys.forEach((key, i) => {
    const result = settled[i]!;
    if (result instanceof CheckpointError) failed.set(key, result);
    else actors.set(key, result);
  });
  return { actors, failed };
}

/** Fills `into` with the answers of `readNewestMany`; a key it failed for reads again on its own (same error, full context). */
async function prefetch(adapter: CheckpointAdapter, keys: string[], into: Map<string, NewestRead>): Promise<void> {
  if (keys.length === 0) return;
  const found = await adapter.readNewestMany!(keys).catch(() => []);
  found.forEach((read, i) => {
    if (!(read instanceof CheckpointError)) into.set(keys[i]!, read);
  });
}

/**
 * `adapter`, but `readNewest(key)` answers once from `prefetched` (the entry
 * is taken out) and otherwise asks the adapter. Its methods are called on
 * `adapter` itself (adapters with private fields work unchanged).
 */
function prefetchView(adapter: CheckpointAdapter, prefetched: Map<string, NewestRead>): CheckpointAdapter {
  const readNewest = (key: string): Promise<NewestRead> => {
    const found = prefetched.get(key);
    if (!found) return readNewestOf(adapter, key);
    prefetched.delete(key);
    return Promise.resolve(found);
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'readNewest') return readNewest;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (!bound.has(property)) bound.set(property, (value as (...args: unknown[]) => unknown).bind(target));
      return bound.get(property);
    },
  });
}
