/* global process, require */
/* eslint-disable @typescript-eslint/no-require-imports -- this file is about require() */
// Run in the clean-install folder by test/package/package.test.ts: CommonJS
// `require()` of each specifier given as an argument (Node 20.19+ loads ES
// modules synchronously), then a save and restore through the required
// package. Prints one JSON line.
const { createMachine, assign } = require('xstate');
const exported = {};
const failed = {};
for (const spec of process.argv.slice(2)) {
  try {
    exported[spec] = Object.keys(require(spec)).length;
  } catch (error) {
    failed[spec] = String((error && error.stack) || error);
  }
}
const { persistActor } = require('xstate-checkpoint');
const { createMemoryStore, memoryAdapter } = require('xstate-checkpoint/adapters/memory');

const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
async function main() {
  const store = createMemoryStore();
  const first = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
  first.actor.send({ type: 'INC' });
  await first.close();
  const second = await persistActor(counter, { key: 'c', adapter: memoryAdapter({ store }), flushOnExit: false });
  const count = second.actor.getSnapshot().context.count;
  await second.close();
  process.stdout.write(JSON.stringify({ exported, failed, count, source: second.restored.source }));
}
main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error));
  process.exitCode = 1;
});
