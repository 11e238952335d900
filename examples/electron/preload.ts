// Preload: the page gets one function, `window.checkpoints.invoke`, and nothing
// else of Node or Electron (contextIsolation + sandbox).
import { contextBridge, ipcRenderer } from 'electron';
import type { ChannelRequest } from 'xstate-checkpoint/adapters/channel';
import { CHECKPOINT_CHANNEL, type CheckpointBridge } from './shared.js';

const bridge: CheckpointBridge = {
  // Structured clone carries the Uint8Array bytes as they are.
  invoke: (request: ChannelRequest) => ipcRenderer.invoke(CHECKPOINT_CHANNEL, request),
};
contextBridge.exposeInMainWorld('checkpoints', bridge);
