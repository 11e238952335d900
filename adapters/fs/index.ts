import type { CheckpointAdapter } from '../../src/adapter.js';
import { NAME, fileIo } from './context.js';
import { generationMethods, readNewestMany } from './generations.js';
import { acquireLease, disposeIo } from './leases.js';
import type { FileAdapterOptions } from './options.js';
import { quarantineMethods } from './quarantine.js';

export { keyFolderName } from './layout.js';
export type { FileHandleLike, FileSystemLike } from './file-system.js';
export type { FileAdapterOptions } from './options.js';

/**
 * Stores checkpoints as files: the embedded default for Node services and
 * Electron's main process. `write()` resolves only once the generation
 * survives a crash or power loss; several processes can share a folder
 * (compare-and-set on the sequence, fencing on the epoch, file locks).
 *
 * Layout under `dir`: a folder per key ({@link keyFolderName}) holding `key`
 * (the original key), one `<seq>.gen` file per generation (the adapter's
 * 40-byte header, then the envelope bytes unchanged), `lock-<epoch>` files and
 * a `quarantine/` folder.
 *
 * Write protocol: temp file in the key folder, every byte written, fsync,
 * publish with `link()` (`EEXIST` is a `conflict`; a checked `rename()` where
 * hard links are unsupported), temp removed, folder fsynced. A failed fsync is
 * never retried on the same file: the bytes are rewritten once from memory
 * into a new temp file, or the write rejects. ENOSPC maps to `storage-full`,
 * EACCES/EPERM to `permission`, EROFS to `read-only`, the rest to `io`; the
 * previous generation is never touched and no temp file stays behind.
 * Everything that only reads works on a read-only folder. `record.bytes` is
 * written as given, not copied first: do not change it until `write()` settles.
 *
 * Fencing: a write whose epoch is below the key's epoch (the highest of the
 * newest generation's epoch and every epoch handed out by `acquire`) is
 * refused with `fenced`. It is checked before publishing and again after: a
 * writer paused in between (SIGSTOP, a long GC) while another process took the
 * lock rejects with `fenced` although its file was published. Such a
 * leftover (a lower epoch, above the newest generation when the lock changed
 * hands, which the lock file records) is never listed nor restored, and
 * goes to quarantine (reason `fenced`, kept like any quarantined generation)
 * when it is in the lock holder's way, or at the next hand-over of the lock.
 * A holder's write that meets one rejects with `conflict` carrying
 * `data.nextSeq`, the sequence to write past it with (`persistActor` does so
 * at once). Exact among writers that hold the lock
 * (`persistActor({ lock: true })`).
 *
 * @example
 * ```ts
 * import { persistActor } from 'xstate-checkpoint';
 * import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
 * import { createMachine } from 'xstate';
 *
 * const adapter = fileAdapter({ dir: './.checkpoints' });
 * const persisted = await persistActor(createMachine({ id: 'order' }), { key: 'order-1', adapter, lock: true });
 * ```
 */
export function fileAdapter(options: FileAdapterOptions): CheckpointAdapter {
  const io = fileIo(options);
  const adapter: CheckpointAdapter = {
    name: NAME,
    capabilities: { durable: true, crossProcess: true, locks: true },
    ...generationMethods(io),
    readNewestMany: (keys) => readNewestMany(io, keys, (key) => adapter.readNewest!(key)),
    ...quarantineMethods(io),
    acquire: (key, acquireOptions) => acquireLease(io, key, acquireOptions),
    dispose: () => disposeIo(io),
  };
  return adapter;
}
