// Electron main process: owns the files. Checkpoints of every window go through
// one fileAdapter here (crash-safe writes, fsync), served over IPC.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { serveAdapter } from 'xstate-checkpoint/adapters/channel';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { CHECKPOINT_CHANNEL } from './shared.js';

// The folder of this file (out/ once built): preload.cjs and index.html sit next to it.
const here = dirname(fileURLToPath(import.meta.url));

await app.whenReady();
const adapter = fileAdapter({ dir: join(app.getPath('userData'), 'checkpoints') });
const served = serveAdapter(
  adapter,
  (handler) => {
    ipcMain.handle(CHECKPOINT_CHANNEL, (event, request: unknown) => handler(request, event));
    return () => ipcMain.removeHandler(CHECKPOINT_CHANNEL);
  },
  {
    // Only our own pages may read and write checkpoints (not a navigated-to remote page).
    authorize: (_request, context) => (context as IpcMainInvokeEvent).senderFrame?.url.startsWith('file://') === true,
  },
);

const win = new BrowserWindow({
  width: 900,
  height: 600,
  // The preload is bundled to CommonJS for the sandbox; it only touches `electron`.
  webPreferences: { preload: join(here, 'preload.cjs'), contextIsolation: true, sandbox: true },
});
await win.loadFile(join(here, 'index.html'));

app.on('window-all-closed', () => {
  // Releases leases the renderers still held, then closes the files.
  void served
    .close()
    .then(() => adapter.dispose())
    .finally(() => app.quit());
});
