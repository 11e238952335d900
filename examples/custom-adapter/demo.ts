// `npm run demo:custom-adapter`: the object-store adapter at work on an in-memory store.
// A persisted counter saves three generations, a second "process" (a new adapter over the same
// store) restores it, and two writers race for the same generation: one wins by compare-and-set.
// Then it prints the objects the store holds. Exits non-zero if a check fails.
import { assign, createMachine } from 'xstate';
import { isCheckpointError, persistActor } from 'xstate-checkpoint';
import { memoryObjectStore, objectStoreAdapter } from './object-store-adapter.js';

const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

const store = memoryObjectStore();
let failed = false;
const check = (ok: boolean, text: string) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`);
  if (!ok) failed = true;
};

console.log('\nxstate-checkpoint: a custom adapter over an object store (S3-style conditional writes)\n');
const first = await persistActor(counter, { key: 'counter/1', adapter: objectStoreAdapter({ store }) });
for (let i = 0; i < 3; i++) {
  first.actor.send({ type: 'INC' });
  await first.flush();
}
await first.close();

const adapter = objectStoreAdapter({ store });
const again = await persistActor(counter, { key: 'counter/1', adapter });
check(again.actor.getSnapshot().context.count === 3, `a new adapter over the same store restored count 3`);
const seq = again.restored.seq ?? 0;
check(seq > 0, `from generation ${seq}`);
await again.close();

// Two writers publish the same next generation; the head object's conditional put lets one through.
const bytes = (await adapter.read('counter/1', seq))!;
const race = await Promise.allSettled(
  [objectStoreAdapter({ store }), objectStoreAdapter({ store })].map((writer) =>
    writer.write('counter/1', { seq: seq + 1, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes }),
  ),
);
const lost = race.filter((r) => r.status === 'rejected');
check(
  race.length - lost.length === 1 &&
    lost.every((r) => isCheckpointError(r.reason) && ['conflict', 'fenced'].includes(r.reason.code)),
  `two writers raced for generation ${seq + 1}: one won, the other got ${lost.map((r) => (isCheckpointError(r.reason) ? r.reason.code : 'an unexpected error')).join(', ')}`,
);

console.log('\nObjects in the store:');
for (const name of (await store.list('')).sort()) console.log(`  ${name}`);
console.log(failed ? '\nA check failed.\n' : '\nThe adapter held.\n');
process.exit(failed ? 1 : 0);
