// The few Electron APIs this example uses, declared by hand with Electron's own
// signatures (electron.d.ts of electron 3x). The `electron` package cannot be a
// dev dependency here: its postinstall downloads the Electron binary, which fails
// without network (and would run in CI's `npm ci`). In an app, delete this file:
// `npm install -D electron` brings the real types.
declare module 'electron' {
  export interface WebContents {
    readonly id: number;
  }
  export interface WebFrameMain {
    readonly url: string;
  }
  export interface IpcMainInvokeEvent {
    readonly sender: WebContents;
    readonly senderFrame: WebFrameMain | null;
  }
  export interface IpcMain {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => any): void;
    removeHandler(channel: string): void;
  }
  export interface IpcRenderer {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    invoke(channel: string, ...args: any[]): Promise<any>;
  }
  export interface ContextBridge {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    exposeInMainWorld(apiKey: string, api: any): void;
  }
  export interface App {
    whenReady(): Promise<void>;
    getPath(name: 'userData' | 'appData' | 'temp'): string;
    on(event: 'window-all-closed', listener: () => void): this;
    quit(): void;
  }
  export interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
  }
  export interface BrowserWindowConstructorOptions {
    width?: number;
    height?: number;
    webPreferences?: WebPreferences;
  }
  export class BrowserWindow {
    constructor(options?: BrowserWindowConstructorOptions);
    readonly webContents: WebContents;
    loadFile(filePath: string): Promise<void>;
  }
  export const app: App;
  export const ipcMain: IpcMain;
  export const ipcRenderer: IpcRenderer;
  export const contextBridge: ContextBridge;
}
