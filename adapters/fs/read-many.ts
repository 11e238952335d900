// The fs adapter's batch read of many keys' newest generations (`readNewestMany`): the
// common case read with synchronous calls on the main thread, in short slices.
import type { NewestRead } from '../../src/adapter.js';
import type { Clock } from '../../src/clock.js';
import { toCheckpointError, type CheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import { HEADER_SIZE, QUARANTINE_DIR, decodeGenerationHeader, envelopeBytesOf, generationSeqs } from './layout.js';
import { lockEpoch } from './lock.js';
import { FIRST_READ } from './read-file.js';

/** The part of Node's synchronous `node:fs` that {@link readNewestCommon} uses. */
export interface SyncFs {
  readdirSync(path: string): string[];
  openSync(path: string, flags: string): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  closeSync(fd: number): void;
}

/** What a {@link readNewestCommon} call needs: the folder and file names, as the adapter makes them. */
export interface CommonRead {
  readonly dir: string;
  readonly generationPath: (seq: number) => string;
}

const buffer = new Uint8Array(FIRST_READ);

/**
 * A key's `readNewest` answer when the key folder is in the common state, read
 * with synchronous calls: no quarantine folder and no lock file in it, and
 * its newest generation file whole (intact header, exactly the stated length)
 * within {@link FIRST_READ} bytes; a missing folder answers as a key with no
 * generations, as `readNewest` does. In every other state, and on any other
 * error, it returns `undefined` and the caller takes the full asynchronous
 * `readNewest`, which settles fencing leftovers, damaged headers, quarantined
 * sequences and errors as it always does. The envelope itself is not checked
 * here: restore verifies it, and falls back from it, exactly as after
 * `readNewest`.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import { readNewestCommon } from './read-many.js';
 * const found = readNewestCommon(fs, { dir: '/tmp/store/k-order-1', generationPath: (s) => `/tmp/${s}.gen` });
 * ```
 */
export function readNewestCommon(fs: SyncFs, at: CommonRead): NewestRead | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(at.dir);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // What readNewest answers for a key never written; any other failure it reports itself.
    return code === 'ENOENT' || code === 'ENOTDIR' ? { seqs: [], quarantinedSeq: 0, epoch: 0 } : undefined;
  }
  // Only where readNewest would read a fence rule or a quarantine listing does it go the full way.
  if (names.includes(QUARANTINE_DIR) || lockEpoch(names) > 0) return undefined;
  const seqs = generationSeqs(names);
  const seq = seqs[0];
  if (seq === undefined) return { seqs, quarantinedSeq: 0, epoch: 0 };
  let fd: number;
  try {
    fd = fs.openSync(at.generationPath(seq), 'r');
  } catch {
    return undefined;
  }
  let length: number;
  try {
    length = fs.readSync(fd, buffer, 0, buffer.length, 0);
  } catch {
    return undefined;
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // Opened read-only: a failed close changes nothing that was read.
    }
  }
  // A full buffer may not be the whole file, and a length other than the header's is for the full path to report.
  const header = decodeGenerationHeader(buffer.subarray(0, length), seq);
  if (!header || length === buffer.length || length !== HEADER_SIZE + header.byteLength) return undefined;
  return {
    seqs,
    quarantinedSeq: 0,
    epoch: header.epoch,
    newest: { seq, bytes: envelopeBytesOf(buffer.subarray(0, length)) },
  };
}

/** What {@link readManyInSlices} needs from the adapter. */
export interface ReadManyHost {
  readonly clock: Clock;
  readonly name: string;
  /** The fast path for one key, or `undefined` to take `readNewest`. */
  readonly common: ((key: string) => NewestRead | undefined) | undefined;
  readonly readNewest: (key: string) => Promise<NewestRead>;
}

/** Longest the main thread runs synchronous reads before it lets other work run. */
const SLICE_MS = 4;
/** Keys read synchronously before a yield even when the clock does not advance (a fake clock). */
const SLICE_KEYS = 256;
/** A synchronous read this slow means a cold cache or a slow disk: the rest go through the thread pool. */
const SLOW_READ_MS = 2;
/** `readNewest` calls in flight on the asynchronous path. */
const IN_FLIGHT = 32;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `readNewestMany` of the fs adapter: each key's answer (or its typed error)
 * in the order of `keys`. With the default file system the common case
 * ({@link readNewestCommon}) is read synchronously, in slices of at most
 * 4 ms or 256 keys with a yield to the event loop between them, until one
 * read takes 2 ms or more (a cold cache, a slow disk): from then on, and
 * for every key not in the common state, `readNewest` runs, 32 at a time.
 *
 * @example
 * ```ts
 * import { systemClock } from '../../src/clock.js';
 * import { readManyInSlices } from './read-many.js';
 * declare const readNewest: (key: string) => Promise<import('../../src/adapter.js').NewestRead>;
 * const found = await readManyInSlices({ clock: systemClock, name: 'fs', common: undefined, readNewest }, ['a', 'b']);
 * ```
 */
export async function readManyInSlices(
  host: ReadManyHost,
  keys: readonly string[],
): Promise<Array<NewestRead | CheckpointError>> {
  const out = new Array<NewestRead | CheckpointError | undefined>(keys.length);
  const rest: number[] = [];
  let common = host.common;
  let sliceStart = host.clock.now();
  let inSlice = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    try {
      checkKey(key, host.name);
    } catch (error) {
      out[i] = error as CheckpointError;
      continue;
    }
    if (!common) {
      rest.push(i);
      continue;
    }
    const t0 = host.clock.now();
    const found = common(key);
    const t1 = host.clock.now();
    if (found) out[i] = found;
    else rest.push(i);
    if (t1 - t0 >= SLOW_READ_MS) common = undefined;
    if (++inSlice >= SLICE_KEYS || t1 - sliceStart >= SLICE_MS) {
      await yieldToLoop();
      sliceStart = host.clock.now();
      inSlice = 0;
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < rest.length) {
      const i = rest[next++]!;
      out[i] = await host
        .readNewest(keys[i]!)
        .catch((error: unknown) => toCheckpointError(error, 'io', { key: keys[i], adapter: host.name }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, rest.length) }, worker));
  return out as Array<NewestRead | CheckpointError>;
}
