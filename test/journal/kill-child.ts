// Child process of the journal kill -9 test: hosts several journaled actors
// (lanes) on one fileJournalAdapter, restores each, prints what it restored,
// then sends numbered events from concurrent senders and prints every
// acknowledged one after its promise resolved. It runs as plain `node` on a
// transpiled copy (see kill-build.ts), so it imports by relative path.
import { assign, setup } from 'xstate';
import { fileJournalAdapter } from '../../adapters/fs/journal.js';
import { persistJournaled } from '../../src/journal.js';

const [dir = '', lanesArg = '4', compactArg = '50', mode = 'run'] = process.argv.slice(2);
const lanes = Number(lanesArg);
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const machine = setup({
  types: { context: {} as { next: number; gaps: number }, events: {} as { type: 'EV'; id: number } },
}).createMachine({
  id: 'lane',
  context: { next: 1, gaps: 0 },
  on: {
    EV: {
      actions: assign(({ context, event }) =>
        event.id === context.next ? { next: context.next + 1 } : { next: event.id + 1, gaps: context.gaps + 1 },
      ),
    },
  },
});

const adapter = fileJournalAdapter({ dir });
const actors = await Promise.all(
  Array.from({ length: lanes }, async (_, lane) => {
    const persisted = await persistJournaled(machine, {
      key: `lane-${lane}`,
      adapter,
      journal: { compactEvery: Number(compactArg) },
      flushOnExit: false,
      onError: (error) => say({ t: 'error', lane, code: error.code, message: error.message }),
    });
    const { context } = persisted.actor.getSnapshot();
    const { journal } = persisted.restored;
    say({
      t: 'restored',
      lane,
      next: context.next,
      gaps: context.gaps,
      replayed: journal.replayed,
      torn: journal.torn !== undefined,
      corrupt: journal.corrupt?.reason ?? null,
    });
    return persisted;
  }),
);
say({ t: 'ready' });
if (mode === 'verify') process.exit(0);

actors.forEach((persisted, lane) => {
  let nextId = persisted.actor.getSnapshot().context.next;
  for (let sender = 0; sender < 8; sender++) {
    void (async () => {
      for (;;) {
        const id = nextId++;
        await persisted.send({ type: 'EV', id });
        say({ t: 'ack', lane, id });
      }
    })().catch((error: unknown) => say({ t: 'error', lane, message: String(error) }));
  }
});
