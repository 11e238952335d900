// Child of keepalive.test.ts (run as plain node on a transpiled copy): a batch job that
// sends one journaled event and does nothing else while the first append fails with EIO.
// The journal writer's retry timer must keep the process alive until the event is durable.
import * as nodeFs from 'node:fs/promises';
import { assign, setup } from 'xstate';
import { fileJournalAdapter, type JournalFileHandle, type JournalFileSystem } from '../../adapters/fs/journal.js';
import { persistJournaled } from '../../src/journal.js';

const [dir = ''] = process.argv.slice(2);
let failures = 1;
const fs: JournalFileSystem = {
  ...(nodeFs as unknown as JournalFileSystem),
  async open(path, flags) {
    const handle = (await nodeFs.open(path, flags)) as unknown as JournalFileHandle;
    if (!path.endsWith('.journal')) return handle;
    return {
      read: (...args) => handle.read(...args),
      sync: () => handle.sync(),
      close: () => handle.close(),
      truncate: (length) => handle.truncate(length),
      stat: () => handle.stat(),
      datasync: () => handle.datasync(),
      async writeFile(data) {
        if (failures-- > 0) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        return handle.writeFile(data);
      },
    };
  },
};
const machine = setup({ types: { context: {} as { n: number }, events: {} as { type: 'INC' } } }).createMachine({
  id: 'job',
  context: { n: 0 },
  on: { INC: { actions: assign(({ context }) => ({ n: context.n + 1 })) } },
});
const persisted = await persistJournaled(machine, {
  key: 'job',
  adapter: fileJournalAdapter({ dir, fs }),
  journal: true,
  flushOnExit: false,
  onError: () => undefined,
});
void persisted.send({ type: 'INC' }).then(
  (seq) => process.stdout.write(`durable ${seq}\n`),
  (error: { code?: string }) => process.stdout.write(`failed ${String(error.code)}\n`),
);
// Nothing else keeps this process alive: only the pending append does.
