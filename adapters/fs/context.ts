import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Lease } from '../../src/adapter.js';
import type { Clock } from '../../src/clock.js';
import { CheckpointError } from '../../src/errors.js';
import { checkKey } from '../../src/keys.js';
import { adapterClock } from '../shared/clock.js';
import { nodeFileSystem, type DefaultFileSystem } from './default-fs.js';
import type { PublishState } from './durable.js';
import { keyFolderName } from './layout.js';
import type { FileAdapterOptions } from './options.js';

/**
 * The adapter name in the errors of the adapter's parts.
 *
 * @example
 * ```ts
 * new CheckpointError('closed', { adapter: NAME });
 * ```
 */
export const NAME = 'fs';

/**
 * Does nothing: the rejection handler of best-effort clean-up.
 *
 * @example
 * ```ts
 * await handle.close().catch(noop);
 * ```
 */
export const noop = (): undefined => undefined;

/**
 * Decodes the UTF-8 of the `key` files and quarantine notes.
 *
 * @example
 * ```ts
 * decoder.decode(await fs.readFile(join(dir, KEY_FILE)));
 * ```
 */
export const decoder = new TextDecoder();

/**
 * `text` as UTF-8 bytes.
 *
 * @example
 * ```ts
 * utf8('order-1').length; // 7
 * ```
 */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * What every part of one file adapter shares: the root folder, the clock,
 * the lock owner's name, the publish state of `publishFile`, and the state
 * its calls change (key folders prepared, held leases, the file system once
 * loaded, `disposed`).
 *
 * @example
 * ```ts
 * const io: FileIo = fileIo({ dir: './.checkpoints' });
 * ```
 */
export interface FileIo {
  readonly options: FileAdapterOptions;
  readonly root: string;
  readonly clock: Clock;
  /** The owner name in this adapter's lock files. */
  readonly owner: string;
  readonly publishState: PublishState;
  /** Key folders prepared (or being prepared), by path. */
  readonly prepared: Map<string, Promise<void>>;
  /** Locks held, given up on `dispose`. */
  readonly leases: Set<Lease>;
  fsModule: Promise<DefaultFileSystem> | undefined;
  /** The root folder's creation, once it started (a failure is tried again). */
  rootReady: Promise<void> | undefined;
  disposed: boolean;
}

/**
 * The shared parts of an adapter for `options`; refuses a missing `dir` with `invalid-option`.
 *
 * @example
 * ```ts
 * const io = fileIo({ dir: './.checkpoints' });
 * ```
 */
export function fileIo(options: FileAdapterOptions): FileIo {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) {
    throw new CheckpointError('invalid-option', { adapter: NAME, detail: '`dir` must be a non-empty folder path' });
  }
  return {
    options,
    root: options.dir,
    clock: adapterClock(options),
    owner: randomBytes(8).toString('hex'),
    publishState: { linkUnsupported: false },
    prepared: new Map(),
    leases: new Set(),
    fsModule: undefined,
    rootReady: undefined,
    disposed: false,
  };
}

/**
 * The file system for a call on `key` (none for calls on every key): refuses
 * a call after `dispose()` (`closed`) or a key the contract refuses; loads
 * the default file system on first use.
 *
 * @example
 * ```ts
 * const fs = await use(io, 'order-1');
 * ```
 */
export async function use(io: FileIo, key?: string): Promise<DefaultFileSystem> {
  if (io.disposed) throw new CheckpointError('closed', { key, adapter: NAME });
  if (key !== undefined) checkKey(key, NAME);
  io.fsModule ??= io.options.fs ? Promise.resolve(io.options.fs) : nodeFileSystem();
  return io.fsModule;
}

/**
 * The folder of `key` under the root ({@link keyFolderName}).
 *
 * @example
 * ```ts
 * keyDir(io, 'order-1'); // './.checkpoints/k-order-1'
 * ```
 */
export const keyDir = (io: FileIo, key: string): string => join(io.root, keyFolderName(key));
