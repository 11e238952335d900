// Checkpoint events in XState's inspection stream, shown through @statelyai/inspect.
// Run: npx tsx examples/inspector/demo.ts
//
// A real app passes `createBrowserInspector().inspect` (or a WebSocket inspector's)
// and sees the same events in the Stately inspector; here a small adapter prints
// what the inspector would send, so the demo needs no browser.
//
// Between its two runs the demo damages the newest generation ON PURPOSE (it flips
// one byte in a temporary folder) to show what a quarantine looks like; it says so
// when it does it.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInspector } from '@statelyai/inspect';
import { assign, createMachine } from 'xstate';
import { checkpointInspection, persistActor } from 'xstate-checkpoint';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';

const cart = createMachine({
  id: 'cart',
  initial: 'shopping',
  context: { items: 0 },
  states: {
    shopping: { on: { ADD: { actions: assign({ items: ({ context }) => context.items + 1 }) }, CHECKOUT: 'paying' } },
    paying: {},
  },
});

interface SentEvent {
  type: string;
  sessionId?: string;
  event?: { type: string; [field: string]: unknown };
  snapshot?: { value?: unknown };
}

/** An inspector whose adapter prints one line per event it would send to the Stately inspector. */
function printingInspector(run: string) {
  const describe = (e: SentEvent): string | undefined => {
    if (e.type === '@xstate.actor') return `actor      ${e.sessionId ?? ''} registered`;
    if (e.type === '@xstate.snapshot') return `snapshot   ${JSON.stringify(e.snapshot?.value)}`;
    if (e.type !== '@xstate.event' || !e.event) return undefined;
    const { type, key: _key, ...rest } = e.event;
    if (!type.startsWith('@xstate-checkpoint.')) return `event      ${type}`;
    const fields = Object.entries(rest)
      .filter(
        ([name, value]) =>
          value !== undefined && ['seq', 'byteLength', 'source', 'reason', 'quarantined'].includes(name),
      )
      .map(([name, value]) => `${name}=${typeof value === 'string' ? value.split(':')[0]! : JSON.stringify(value)}`);
    return `checkpoint ${type.slice('@xstate-checkpoint.'.length)} ${fields.join(' ')}`;
  };
  return createInspector({
    send: (e: unknown) => {
      const line = describe(e as SentEvent);
      if (line) console.log(`[${run}] ${line}`);
    },
    start() {},
    stop() {},
  });
}

const idle = () => new Promise((resolve) => setTimeout(resolve, 50));
const dir = await mkdtemp(join(tmpdir(), 'xsc-inspector-demo-'));
console.log(
  'Checkpoint events in the inspection stream. Run 1 saves a cart; then the demo damages its newest\n' +
    'generation on purpose, so run 2 shows a restore that quarantines it and falls back. The files are\n' +
    `in a temporary folder (${dir}), removed at the end.\n`,
);
try {
  // Run 1: a fresh cart, two items, saved.
  const first = await persistActor(cart, {
    key: 'cart-1',
    adapter: fileAdapter({ dir }),
    flushOnExit: false,
    ...checkpointInspection(printingInspector('run 1').inspect),
  });
  first.actor.send({ type: 'ADD' });
  first.actor.send({ type: 'ADD' });
  await first.flush();
  first.actor.send({ type: 'CHECKOUT' });
  await first.flush();
  await first.close();
  await idle();

  // Damage the newest generation on disk, as a torn disk write might.
  const folder = join(dir, keyFolderName('cart-1'));
  const newest = (await readdir(folder))
    .filter((name) => name.endsWith('.gen'))
    .sort()
    .at(-1)!;
  const bytes = await readFile(join(folder, newest));
  bytes[bytes.length - 1]! ^= 0xff;
  await writeFile(join(folder, newest), bytes);
  console.log(
    `\n(on purpose) flipped the last byte of ${newest}, the newest generation, as a torn disk write might:\n` +
      'run 2 should quarantine it and restore the one before.\n',
  );

  // Run 2: restore quarantines the damaged generation and falls back to the one before.
  const second = await persistActor(cart, {
    key: 'cart-1',
    adapter: fileAdapter({ dir }),
    flushOnExit: false,
    ...checkpointInspection(printingInspector('run 2').inspect),
  });
  await second.flush();
  console.log(
    `restored: ${JSON.stringify(second.actor.getSnapshot().value)} with ${second.actor.getSnapshot().context.items} items`,
  );
  await second.close();
  await idle();
} finally {
  await rm(dir, { recursive: true, force: true });
}
