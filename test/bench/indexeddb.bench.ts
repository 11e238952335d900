import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import type { RunningChromium } from '../chromium/harness.js';
import {
  bundle,
  call,
  chromiumExecutable,
  launchChromium,
  openTab,
  removeProfile,
  serve,
  tempProfile,
} from '../chromium/harness.js';

// Save of a 100 KB checkpoint through indexedDbAdapter against a raw idb-keyval
// `set` of the same bytes, in the same Chromium tab (target: <= 1.3x). The bench
// rows include the DevTools round trip; afterAll times inside the page (median
// of interleaved rounds), prints the ratios and writes test/.tmp/bench/indexeddb.json.

const SIZE = 100 * 1024;
const hasChromium = chromiumExecutable() !== undefined;
if (!hasChromium)
  console.log('indexeddb bench skipped: no Chromium; install it (apt-get install chromium) or set CHROMIUM_PATH.');

let server: Awaited<ReturnType<typeof serve>> | undefined;
let chrome: RunningChromium | undefined;
let profile: string | undefined;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  server = await serve(await bundle(fileURLToPath(new URL('../chromium/page.ts', import.meta.url))));
  profile = await tempProfile();
  chrome = await launchChromium(profile);
  page = await openTab(chrome.context, server.url);
}, 60_000);

describe.skipIf(!hasChromium)('100 KB save in Chromium (5 saves per iteration)', () => {
  bench('indexedDbAdapter.write + idb-keyval set, interleaved', async () => {
    await call(page, 'benchSaves', 5, SIZE);
  });
});

afterAll(async () => {
  if (hasChromium) {
    const times = await call(page, 'benchSaves', 150, SIZE);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const base = median(times['idb-keyval set']!);
    const results: Record<string, { medianMs: number; ratio: number }> = {};
    console.log('\n100 KB save in Chromium, median of 150 interleaved rounds (ratio = time / idb-keyval set)');
    for (const [name, xs] of Object.entries(times)) {
      results[name] = { medianMs: median(xs), ratio: median(xs) / base };
      console.log(`  ${name.padEnd(18)} ${median(xs).toFixed(3).padStart(8)} ms  ${(median(xs) / base).toFixed(2)}x`);
    }
    mkdirSync('test/.tmp/bench', { recursive: true });
    writeFileSync('test/.tmp/bench/indexeddb.json', JSON.stringify({ sizeBytes: SIZE, results }, null, 2));
  }
  await chrome?.close();
  await server?.close();
  if (profile) await removeProfile(profile);
}, 120_000);
