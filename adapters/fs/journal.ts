import type { CheckpointAdapter } from '../../src/adapter.js';
import { isCheckpointError } from '../../src/errors.js';
import { adapterClock } from '../shared/clock.js';
import { disposeTogether } from '../shared/dispose.js';
import { fsError } from './durable.js';
import { fileAdapter, type FileAdapterOptions } from './index.js';
import { fileJournal } from './journal/store.js';
import type { FileJournalOptions } from './journal/types.js';

export { fileJournal } from './journal/store.js';
export type { FileJournal, FileJournalOptions, JournalFileHandle, JournalFileSystem } from './journal/types.js';

/**
 * {@link fileAdapter} with its {@link fileJournal}: the file store for journal
 * mode. Both run on the one `clock` option (leases, lock waits, quarantine
 * timestamps, the journal's trusted lease and set-aside names). `dispose()`
 * closes both.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { persistJournaled } from 'xstate-checkpoint/journal';
 * import { fileJournalAdapter } from 'xstate-checkpoint/adapters/fs-journal';
 *
 * const adapter = fileJournalAdapter({ dir: './.checkpoints' });
 * const persisted = await persistJournaled(createMachine({ id: 'order' }), { key: 'order-1', adapter, journal: true });
 * ```
 */
export function fileJournalAdapter(options: FileAdapterOptions & Pick<FileJournalOptions, 'fs'>): CheckpointAdapter {
  const files = fileAdapter(options);
  const clock = adapterClock(options);
  const journal = fileJournal({ dir: options.dir, ...(options.fs ? { fs: options.fs } : {}), clock });
  const acquire = files.acquire!.bind(files);
  return {
    ...files,
    journal,
    // The journal learns of the locks taken here, so appends under a live lock skip the
    // listing beside their flush: a lock without a lease is only taken over once this
    // process is dead, and one with a lease only once it expired (minus a margin for
    // clocks of other hosts on a shared folder). Any acquire or release forgets it first.
    async acquire(key, acquireOptions) {
      journal.trustLease(key, undefined);
      const asked = clock.now();
      const lease = await acquire(key, acquireOptions);
      const ttl = acquireOptions?.ttlMs;
      const until = ttl === undefined ? Number.POSITIVE_INFINITY : asked + ttl - Math.min(1000, ttl / 4);
      journal.trustLease(key, { epoch: lease.epoch, until });
      return {
        epoch: lease.epoch,
        release() {
          journal.trustLease(key, undefined);
          return lease.release();
        },
      };
    },
    dispose: () =>
      disposeTogether([journal.dispose(), files.dispose()]).catch((error: unknown) => {
        throw isCheckpointError(error) ? error : fsError(error, undefined, 'dispose');
      }),
  };
}
