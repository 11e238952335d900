import type { ChannelInvoke } from 'xstate-checkpoint/adapters/channel';

/** The IPC channel the renderer's checkpoint calls travel on. */
export const CHECKPOINT_CHANNEL = 'xstate-checkpoint';

/** What the preload script exposes to the page as `window.checkpoints`. */
export interface CheckpointBridge {
  readonly invoke: ChannelInvoke;
}
