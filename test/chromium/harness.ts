// Node side of the Chromium tests: bundles page.ts, serves it, and runs Debian's Chromium
// as a real process (so it can be SIGKILLed and relaunched on the same profile).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import type { Rolldown } from 'vite';
import type { Tab } from './page.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const alias = [
  { find: /^xstate-checkpoint$/, replacement: `${root}src/index.ts` },
  // An adapter is a folder: `adapters/<name>` is its index.ts, `adapters/<name>-journal` its journal.ts.
  { find: /^xstate-checkpoint\/adapters\/([a-z]+)-journal$/, replacement: `${root}adapters/$1/journal.ts` },
  { find: /^xstate-checkpoint\/adapters\/([a-z]+)$/, replacement: `${root}adapters/$1/index.ts` },
  { find: /^xstate-checkpoint\/(.*)$/, replacement: `${root}src/entries/$1.ts` },
];

/** Bundles one browser entry (with everything it imports) into a single ES module. */
export async function bundle(entry: string, minify = false): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias },
    build: {
      write: false,
      minify,
      lib: { entry, formats: ['es'], fileName: 'page' },
      // The server hands out one file: lazily loaded parts (the journal) go inline.
      rolldownOptions: { output: { codeSplitting: false } },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunks = outputs.flatMap((o) => o.output).filter((o) => o.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`bundle(${entry}) gave ${chunks.length} chunks; the page server serves one`);
  return chunks[0]!.code;
}

/** Serves `/` (a page loading the script) and `/page.js` on 127.0.0.1 (a secure context, like localhost). */
export async function serve(script: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script type="module" src="/page.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves a built app's directory on 127.0.0.1 (`/` is its index.html). */
export async function serveDir(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path.join(dir, pathname === '/' ? 'index.html' : path.normalize(pathname));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    readFile(file).then(
      (body) =>
        res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A Chromium process on a profile directory, driven over the DevTools protocol. */
export interface RunningChromium {
  readonly browser: Browser;
  /** The profile's own context (on disk, unlike incognito contexts). */
  readonly context: BrowserContext;
  /** SIGKILL to the whole process group: a browser crash, nothing flushed. */
  kill(): Promise<void>;
  /** Normal shutdown. */
  close(): Promise<void>;
}

/** CHROMIUM_PATH (set by vite.config.ts for the chromium project), else `which chromium`. */
export function chromiumExecutable(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return (
      execFileSync('which', ['chromium'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

const defaultArgs =
  '--no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync';

export async function launchChromium(profile: string): Promise<RunningChromium> {
  const executable = chromiumExecutable();
  if (!executable) throw new Error('No Chromium: install it (apt-get install chromium) or set CHROMIUM_PATH.');
  const args = (process.env.CHROMIUM_ARGS || defaultArgs).split(' ').filter(Boolean);
  const child = spawn(
    executable,
    ['--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`, ...args, 'about:blank'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${text}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('error', reject);
  });
  child.stderr.resume();
  const browser = await chromium.connectOverCDP(endpoint);
  const signal = async (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      return; // already gone
    }
    await exited;
  };
  return {
    browser,
    context: browser.contexts()[0]!,
    kill: () => signal('SIGKILL'),
    async close() {
      await browser.close().catch(() => undefined);
      await signal('SIGTERM');
    },
  };
}

export const tempProfile = () => mkdtemp(path.join(os.tmpdir(), 'xsc-chromium-'));
export const removeProfile = (dir: string) => rm(dir, { recursive: true, force: true });

/** Opens a tab on the served page and waits until its `tab` object is there. */
export async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => 'tab' in window, undefined, { polling: 20 });
  return page;
}

/** Calls a method of the page's `tab` object (see page.ts). */
export function call<K extends keyof Tab>(
  page: Page,
  method: K,
  ...args: Parameters<Tab[K]>
): Promise<Awaited<ReturnType<Tab[K]>>> {
  return page.evaluate(
    ([m, a]) => (window as unknown as Record<string, Record<string, (...x: unknown[]) => unknown>>).tab![m]!(...a),
    [method, args] as const,
  ) as Promise<Awaited<ReturnType<Tab[K]>>>;
}
