import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { installBuiltPackage } from '../helpers/built-package.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

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

describe('examples/electron/build.ts (the build for a real Electron)', () => {
  it('writes main.js (ESM), preload.cjs (CommonJS, only electron required), renderer.js (no Node) and index.html', async () => {
    const work = `${root}test/.tmp/electron-${process.pid}`;
    dirs.push(work);
    await installBuiltPackage(work);
    const out = `${work}/out`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/electron/build.ts', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, XSC_PACKAGE_ROOT: work },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`npx electron ${out}/main.js`);
    const read = (name: string) => readFile(`${out}/${name}`, 'utf8');
    const main = await read('main.js');
    expect(main).toMatch(/^import \{[^}]*\bipcMain\b[^}]*\} from "electron";$/m);
    // Everything else is bundled: what Electron loads needs no node_modules beside it.
    const bare = [...main.matchAll(/^import .* from "([^".][^"]*)";$/gm)].map((m) => m[1]);
    expect(bare.filter((id) => id !== 'electron' && !id!.startsWith('node:'))).toEqual([]);
    const preload = await read('preload.cjs');
    expect([...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    const renderer = await read('renderer.js');
    expect(renderer).not.toMatch(/from "(node:|electron)/);
    expect(renderer).toContain('connectChannelAdapter');
    expect(await read('index.html')).toContain('src="./renderer.js"');
  }, 180_000);
});
