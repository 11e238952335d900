import http from 'node:http';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { persistActor, type CheckpointAdapter } from 'xstate-checkpoint';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { build } from 'vite';
import { repoRoot } from '../cli/harness.js';

/** The machine the studio tests persist: rich context, a nested state, a delayed transition. */
export const MACHINE_MODULE = `import { assign, createMachine } from 'xstate';
export const machine = createMachine({
  id: 'order',
  initial: 'cart',
  context: { count: 0, placedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), prices: new Map([['tea', 3]]), tags: new Set(['new']) },
  states: {
    cart: { on: { ADD: { actions: assign({ count: ({ context }) => context.count + 1, prices: ({ context }) => new Map([...context.prices, ['item' + (context.count + 1), context.count + 1]]) }) }, CHECKOUT: 'checkout' } },
    checkout: {
      initial: 'payment',
      states: { payment: { after: { 3600000: 'expired' }, on: { PAID: 'shipping' } }, shipping: {}, expired: {} },
    },
  },
});
`;

/** A private folder under the repository (so modules written there import `xstate` from its node_modules). */
export async function workDir(): Promise<string> {
  const dir = join(repoRoot, 'test/.tmp');
  await mkdir(dir, { recursive: true });
  return mkdtemp(join(dir, 'studio-'));
}

/** Builds the studio page (studio/vite.config.ts) into `outDir`, as `npm run build` does into dist/studio. */
export async function buildPage(outDir: string): Promise<string> {
  await build({
    configFile: join(repoRoot, 'studio/vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

/** Writes the machine module into `dir` and imports it. */
export async function writeMachine(dir: string): Promise<{ path: string; machine: AnyStateMachine }> {
  const path = join(dir, 'machine.mjs');
  await writeFile(path, MACHINE_MODULE);
  return { path, machine: ((await import(pathToFileURL(path).href)) as { machine: AnyStateMachine }).machine };
}

/**
 * A store with `order-1` (5 generations: 3 items added, then checkout with a
 * pending timer), `order-2` (1 generation) and `order-3` (2 generations, the
 * newest quarantined).
 */
export async function populate(dir: string, machine: AnyStateMachine, now = Date.now()): Promise<CheckpointAdapter> {
  const clock = {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (t: unknown) => clearTimeout(t as NodeJS.Timeout),
  };
  const adapter = fileAdapter({ dir });
  for (const [key, adds, checkout] of [
    ['order-1', 3, true],
    ['order-2', 0, false],
    ['order-3', 1, false],
  ] as const) {
    const p = await persistActor(machine, { key, adapter, flushOnExit: false, retain: { latest: 20 }, clock });
    await p.flush();
    for (let i = 0; i < adds; i++) {
      now += 60_000;
      p.actor.send({ type: 'ADD' });
      await p.flush();
    }
    if (checkout) {
      now += 60_000;
      p.actor.send({ type: 'CHECKOUT' });
      await p.flush();
    }
    await p.close();
  }
  await adapter.quarantine('order-3', 2, 'validation: context.count must be a number (test fixture)');
  return adapter;
}

/** Copies the one generation of `source` to `count` keys `bulk-00000`...: a large store without 10,000 fsyncs. */
export async function cloneKeys(dir: string, source: string, count: number): Promise<void> {
  const file = join(dir, keyFolderName(source), `${'1'.padStart(16, '0')}.gen`);
  for (let i = 0; i < count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, count - i) }, async (_, j) => {
        const folder = join(dir, keyFolderName(`bulk-${String(i + j).padStart(5, '0')}`));
        await mkdir(folder, { recursive: true });
        await copyFile(file, join(folder, `${'1'.padStart(16, '0')}.gen`));
      }),
    );
  }
}

export const removeDir = (dir: string) => rm(dir, { recursive: true, force: true });

/**
 * Opens the studio's event stream for `key`, calls `onReady` once the stream is up, and resolves
 * with the data of the first `event` event that follows.
 */
export function nextEvent(url: string, key: string, event: string, onReady: () => Promise<void>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const target = new URL(`api/events?key=${encodeURIComponent(key)}`, url);
    let text = '';
    let ready = false;
    const req = http.get(target, (res) => {
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if (!ready && text.includes('event: ready')) {
          ready = true;
          onReady().catch(reject);
        }
        const match = new RegExp(`event: ${event}\\ndata: (.*)\\n`).exec(text);
        if (match) {
          req.destroy();
          resolve(JSON.parse(match[1]!));
        }
      });
    });
    req.on('error', (error) => (text.includes(`event: ${event}`) ? undefined : reject(error)));
  });
}
