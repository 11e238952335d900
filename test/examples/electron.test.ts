import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';

// Electron itself cannot run here; this stands in for its IPC with what matters:
// one handler per channel, arguments and results structured-cloned both ways,
// the sender's frame on the event.
const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const state = { userData: '', onAllClosed: undefined as undefined | (() => void), quit: false };
  return {
    state,
    handlers,
    module: {
      app: {
        whenReady: () => Promise.resolve(),
        getPath: () => state.userData,
        on: (_event: string, listener: () => void) => {
          state.onAllClosed = listener;
        },
        quit: () => {
          state.quit = true;
        },
      },
      BrowserWindow: class {
        readonly webContents = { id: 1 };
        loadFile = () => Promise.resolve();
      },
      ipcMain: {
        handle: (channel: string, listener: (event: unknown, ...args: unknown[]) => unknown) => {
          handlers.set(channel, listener);
        },
        removeHandler: (channel: string) => handlers.delete(channel),
      },
      ipcRenderer: {
        invoke: async (channel: string, ...args: unknown[]) => {
          const handler = handlers.get(channel);
          if (!handler) throw new Error(`Error invoking remote method '${channel}': No handler registered`);
          const event = { sender: { id: 1 }, senderFrame: { url: 'file:///app/index.html' } };
          return structuredClone(await handler(event, ...structuredClone(args)));
        },
      },
      contextBridge: {
        exposeInMainWorld: (key: string, api: unknown) => {
          (globalThis as unknown as { window: Record<string, unknown> }).window[key] = api;
        },
      },
    },
  };
});
vi.mock('electron', () => electron.module);

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('examples/electron (main, preload, renderer wired over a stand-in for Electron IPC)', () => {
  it('persists the renderer actor into the main process files, with a lock, and serves nothing after close', async () => {
    electron.state.userData = await mkdtemp(join(tmpdir(), 'xsc-electron-'));
    dirs.push(electron.state.userData);
    const page = Object.assign(new EventTarget(), { visibilityState: 'visible', querySelector: () => null });
    vi.stubGlobal('window', new EventTarget());
    vi.stubGlobal('document', page);
    try {
      await import('../../examples/electron/main.js');
      await import('../../examples/electron/preload.js');
      const { persisted } = await import('../../examples/electron/renderer.js');
      expect(persisted.restored.source).toBe('fresh');
      persisted.actor.send({ type: 'TYPE', text: 'hello' });
      const saved = await persisted.flush();
      await persisted.close();

      const files = fileAdapter({ dir: join(electron.state.userData, 'checkpoints') });
      const generations = await files.list('editor/untitled');
      expect(generations[0]?.seq).toBe(saved?.seq);
      // The lock taken through the channel fenced the writes with its epoch.
      expect(generations[0]?.epoch).toBeGreaterThan(0);
      await files.dispose();

      electron.state.onAllClosed!();
      await vi.waitFor(() => expect(electron.state.quit).toBe(true));
      expect(electron.handlers.size).toBe(0);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
