// Renderer (the page): a persisted actor whose checkpoints land in the main
// process's files. Nothing here touches Node.
import { assign, setup } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { connectChannelAdapter } from 'xstate-checkpoint/adapters/channel';
import type { CheckpointBridge } from './shared.js';

declare global {
  interface Window {
    readonly checkpoints: CheckpointBridge;
  }
}

const editor = setup({
  types: {
    context: {} as { text: string; revision: number },
    events: {} as { type: 'TYPE'; text: string } | { type: 'SAVE' },
  },
}).createMachine({
  id: 'editor',
  initial: 'editing',
  context: { text: '', revision: 0 },
  states: {
    editing: {
      on: {
        TYPE: { actions: assign({ text: ({ event }) => event.text, revision: ({ context }) => context.revision + 1 }) },
        SAVE: 'saved',
      },
    },
    saved: { on: { TYPE: 'editing' } },
  },
});

// Takes the served fileAdapter's capabilities: durable, cross-process, with locks.
const adapter = await connectChannelAdapter({ invoke: window.checkpoints.invoke, timeoutMs: 10_000 });

/** The persisted editor; `lock: true` keeps a second window on the same key out. */
export const persisted = await persistActor(editor, {
  key: 'editor/untitled',
  adapter,
  lock: true,
  // Page hide and tab-hidden flush through IPC; the main process finishes the write even if the window goes away.
  flushOnExit: true,
});

const input = document.querySelector<HTMLTextAreaElement>('#text');
if (input) {
  input.value = persisted.actor.getSnapshot().context.text;
  input.addEventListener('input', () => persisted.actor.send({ type: 'TYPE', text: input.value }));
}
