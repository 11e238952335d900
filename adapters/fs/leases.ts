import type { AcquireOptions, Lease } from '../../src/adapter.js';
import { CheckpointError } from '../../src/errors.js';
import { NAME, noop, use, type FileIo } from './context.js';
import { generationEpoch, readHeader } from './generation-info.js';
import { ensureKeyDir } from './key-folder.js';
import { acquireFileLock } from './lock.js';
import { setAside } from './quarantine.js';

/**
 * The adapter's `acquire`: takes the key's file lock ({@link acquireFileLock})
 * in its folder (created first), with what the lock needs of the adapter:
 * the key's epoch, generation headers, and setting a fenced writer's
 * leftovers aside. The lease is held until released or `dispose`; an
 * acquire that `dispose` overtakes gives its lock up and rejects with `closed`.
 *
 * @example
 * ```ts
 * const lease = await acquireLease(io, 'order-1', { waitMs: 5_000 });
 * ```
 */
export async function acquireLease(io: FileIo, key: string, acquireOptions?: AcquireOptions): Promise<Lease> {
  const fs = await use(io, key);
  const dir = await ensureKeyDir(io, fs, key);
  const generationEpochOf = (names: readonly string[]) => generationEpoch(fs, dir, key, names);
  const headerEpoch = async (seq: number) => (await readHeader(fs, dir, key, seq))?.epoch;
  const setAsideOf = (seq: number, epoch: number, lockEpoch: number) => setAside(io, fs, key, seq, epoch, lockEpoch);
  const { owner, clock, leases } = io;
  const lease = await acquireFileLock(
    { fs, dir, key, owner, clock, generationEpoch: generationEpochOf, headerEpoch, setAside: setAsideOf },
    acquireOptions,
  );
  // dispose() ran while the lock was being taken and gave up only the leases it saw: give this one up
  // too, or the lock file stays (held by a live process) until this process exits.
  if (io.disposed) {
    await lease.release().catch(noop);
    throw new CheckpointError('closed', { key, adapter: NAME });
  }
  leases.add(lease);
  return {
    epoch: lease.epoch,
    release: async () => {
      leases.delete(lease);
      await lease.release();
    },
  };
}

/**
 * The adapter's `dispose`: refuses later calls (`closed`) and gives every held lock up (failures ignored). Once.
 *
 * @example
 * ```ts
 * await disposeIo(io);
 * ```
 */
export async function disposeIo(io: FileIo): Promise<void> {
  if (io.disposed) return;
  io.disposed = true;
  await Promise.all([...io.leases].map((lease) => lease.release().catch(noop)));
  io.leases.clear();
}
