// The writer process of follow.test.ts: holds the key's lock and writes one
// generation per "inc" line on stdin, printing "ack <count> <seq>" once it is
// durable. The test SIGKILLs it and expects the follower to take over.
import { createInterface } from 'node:readline';
import { assign, createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';

const [dir, key] = process.argv.slice(2);
if (!dir || !key) {
  console.error('usage: follow-writer.ts <dir> <key>');
  process.exit(2);
}
const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
const persisted = await persistActor(counter, {
  key,
  adapter: fileAdapter({ dir }),
  lock: true,
  debounce: { wait: 0, maxWait: 0 },
  flushOnExit: false,
});
console.log(`ready ${persisted.role}`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'inc') continue;
  persisted.actor.send({ type: 'INC' });
  const info = await persisted.flush();
  console.log(`ack ${persisted.actor.getSnapshot().context.count} ${info?.seq ?? 0}`);
}
