/* global process */
// Run in the clean-install folder by test/package/package.test.ts: writes one
// checkpoint (key `smoke-1`) into ./state for the installed CLI to read.
import { createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';

const adapter = fileAdapter({ dir: './state' });
const persisted = await persistActor(createMachine({ id: 'smoke', context: { n: 1 } }), {
  key: 'smoke-1',
  adapter,
  flushOnExit: false,
});
await persisted.close();
await adapter.dispose();
process.stdout.write('{}');
