import { join } from 'node:path';
import type { Clock } from '../../../src/clock.js';
import { CheckpointError } from '../../../src/errors.js';
import { checkKey } from '../../../src/keys.js';
import { adapterClock } from '../../shared/clock.js';
import { readOnlyFlags } from '../default-fs.js';
import type { PublishState } from '../durable.js';
import { keyFolderName } from '../layout.js';
import { readWholeFile } from '../read-file.js';
import { drain } from './group-writer.js';
import { NAME, newKeyState, noop, type JournalIo, type KeyState } from './state.js';
import { truncateBeside, truncateJournal } from './truncate.js';
import type { FileJournalOptions, JournalFileSystem } from './types.js';

/**
 * One journal's place: its options, the I/O its parts share (opened on first
 * use), each key's state, and `disposed`.
 *
 * @example
 * ```ts
 * const place: JournalPlace = journalPlace({ dir: './.checkpoints' });
 * ```
 */
export interface JournalPlace {
  readonly options: FileJournalOptions;
  readonly clock: Clock;
  readonly publishState: PublishState;
  /** The file system, clock and publish state, once the file system is there. */
  io: Promise<JournalIo> | undefined;
  readonly states: Map<string, KeyState>;
  disposed: boolean;
}

/**
 * `node:fs/promises`, with `node:fs`'s `writeSync` for groups written while nothing is being flushed,
 * and segments read as generation files are: a non-blocking open and at most 1 GiB, so a FIFO, a
 * folder or a link to /dev/zero where a segment belongs is a typed error, not a hang or the end of
 * the process.
 */
async function nodeJournalFileSystem(): Promise<JournalFileSystem> {
  const [promises, sync] = await Promise.all([import('node:fs/promises'), import('node:fs')]);
  const read = readOnlyFlags(sync.constants);
  const readFile = (path: string) => readWholeFile(sync, path, () => undefined, read);
  return { ...(promises as unknown as JournalFileSystem), readFile, writeSync: sync.writeSync };
}

/**
 * The place of a journal for `options`; refuses a `dir` that is not a
 * non-empty path (`invalid-option`).
 *
 * @example
 * ```ts
 * const place = journalPlace({ dir: './.checkpoints' });
 * ```
 */
export function journalPlace(options: FileJournalOptions): JournalPlace {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new CheckpointError('invalid-option', { adapter: NAME, detail: '`dir` must be a non-empty folder path' });
  }
  return {
    options,
    clock: adapterClock(options),
    publishState: { linkUnsupported: false },
    io: undefined,
    states: new Map(),
    disposed: false,
  };
}

/**
 * The journal's I/O for a call on `key`: refuses a call after `dispose()`
 * (`closed`) and a key the contract refuses; the file system is imported on first use.
 *
 * @example
 * ```ts
 * const io = await use(place, 'order-1');
 * ```
 */
export async function use(place: JournalPlace, key: string): Promise<JournalIo> {
  if (place.disposed) throw new CheckpointError('closed', { key, adapter: NAME });
  checkKey(key, NAME);
  const { options, clock, publishState } = place;
  place.io ??= (options.fs ? Promise.resolve(options.fs) : nodeJournalFileSystem()).then((fs) => ({
    fs,
    clock,
    publishState,
  }));
  return place.io;
}

/** The folder of `key` (the same as the file adapter's). */
export const keyDir = (place: JournalPlace, key: string): string => join(place.options.dir, keyFolderName(key));

/**
 * The state of `key`, made on first use.
 *
 * @example
 * ```ts
 * stateOf(place, 'order-1').lease = undefined;
 * ```
 */
export function stateOf(place: JournalPlace, key: string): KeyState {
  let s = place.states.get(key);
  if (!s) {
    s = newKeyState();
    place.states.set(key, s);
  }
  return s;
}

/**
 * Runs calls for one key one after another, in call order.
 *
 * @example
 * ```ts
 * await inKeyOrder(place, 'order-1', async (s) => s.active);
 * ```
 */
export function inKeyOrder<T>(place: JournalPlace, key: string, fn: (s: KeyState) => Promise<T>): Promise<T> {
  const s = stateOf(place, key);
  const result = s.chain.then(() => fn(s));
  s.chain = result.catch(noop);
  return result;
}

/**
 * Truncates one after another, beside the key's appends: a compaction's
 * truncate (listing, reading covered segments, removing them, a folder
 * fsync) would otherwise hold up every group behind it. Only when the
 * active segment is covered does it run again in the key's call order.
 *
 * @example
 * ```ts
 * await truncateInTurn(place, await use(place, 'order-1'), 'order-1', 10);
 * ```
 */
export function truncateInTurn(place: JournalPlace, io: JournalIo, key: string, uptoSeq: number): Promise<void> {
  const s = stateOf(place, key);
  const dir = keyDir(place, key);
  const run = async () => {
    if (await truncateBeside(io, s, key, dir, uptoSeq)) return;
    await inKeyOrder(place, key, (t) => truncateJournal(io, t, key, dir, uptoSeq));
  };
  const result = s.truncating.then(run);
  s.truncating = result.catch(noop);
  return result;
}

/**
 * The journal's `release(key)`: the key's actor closed, so its open segment is
 * closed once the key's earlier calls settle. What the key state remembers (a
 * failed group, the lease) stays: the next append reopens the tail.
 *
 * @example
 * ```ts
 * await releaseKey(place, 'order-1');
 * ```
 */
export async function releaseKey(place: JournalPlace, key: string): Promise<void> {
  const s = place.states.get(key);
  if (!s || place.disposed) return;
  await s.truncating;
  // In the key's call order, so an append queued before it still finds its segment open.
  await inKeyOrder(place, key, async (t) => {
    await closeSegment(t);
    t.verified = false;
  });
}

/** Once the key's groups are flushed, closes its open segment. */
async function closeSegment(s: KeyState): Promise<void> {
  await drain(s);
  await s.active?.handle.close().catch(noop);
  s.active = undefined;
}

/**
 * The journal's `dispose`: once every key's calls settled and its groups are
 * flushed, closes its open segment; later calls reject with `closed`.
 *
 * @example
 * ```ts
 * await disposePlace(place);
 * ```
 */
export async function disposePlace(place: JournalPlace): Promise<void> {
  if (place.disposed) return;
  place.disposed = true;
  await Promise.all(
    [...place.states.values()].map(async (s) => {
      await s.truncating;
      await s.chain.catch(noop);
      await closeSegment(s);
    }),
  );
}
