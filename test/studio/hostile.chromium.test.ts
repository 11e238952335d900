import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointAdapter } from 'xstate-checkpoint';
import { startStudio, type Studio } from '../../studio/server.js';
import {
  chromiumExecutable,
  launchChromium,
  removeProfile,
  tempProfile,
  type RunningChromium,
} from '../chromium/harness.js';
import { buildPage, removeDir, workDir } from './fixture.js';
import { HOSTILE, hostileStore, XSS } from './hostile-store.js';

// The built studio page in Debian's Chromium, on a store whose every string is markup
// (test/studio/hostile-store.ts). Nothing stored may become an element, a link or a script:
// the page is checked for the elements the markup would make, not only for the flag its
// scripts would set (the CSP alone would stop those, and hide an innerHTML).

let work: string;
let adapter: CheckpointAdapter;
let studio: Studio;
let chrome: RunningChromium;
let profile: string;

beforeAll(async () => {
  if (!chromiumExecutable())
    throw new Error('No Chromium: install it (apt-get install chromium) or set CHROMIUM_PATH.');
  work = await workDir();
  const assets = await buildPage(join(work, 'page'));
  adapter = await hostileStore();
  studio = await startStudio({ adapter, assetsDir: assets, write: true, cwd: work, pollMs: 200, keysPollMs: 500 });
  profile = await tempProfile();
  chrome = await launchChromium(profile);
}, 120_000);
afterAll(async () => {
  await chrome?.close();
  await studio?.close();
  await adapter?.dispose();
  if (profile) await removeProfile(profile);
  if (work) await removeDir(work);
});

const pages: Page[] = [];
afterEach(async () => {
  for (const page of pages.splice(0)) await page.close().catch(() => undefined);
});

interface Watch {
  readonly errors: string[];
}

async function open(hash: string): Promise<Page & Watch> {
  const page = await chrome.context.newPage();
  pages.push(page);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // Before the page's own script: a blocked inline script or handler shows up here.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const w = window as unknown as { __xscViolations?: string[] };
      (w.__xscViolations ??= []).push(`${e.violatedDirective} ${e.sample}`);
    });
  });
  const response = await page.goto(`${studio.url}${hash}`);
  expect(response?.headers()['referrer-policy']).toBe('no-referrer');
  await page.waitForSelector('body[data-ready="true"]');
  return Object.assign(page, { errors });
}

/** What the markup would have made, anywhere in the document, and whether any script ran. */
async function injected(page: Page): Promise<unknown> {
  return page.evaluate(() => ({
    pwned: (window as unknown as { __xscPwned?: unknown }).__xscPwned ?? null,
    violations: (window as unknown as { __xscViolations?: string[] }).__xscViolations ?? [],
    images: document.querySelectorAll('img').length,
    scripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
    links: [...document.querySelectorAll('a[href]')]
      .map((a) => a.getAttribute('href')!)
      .filter((href) => !href.startsWith('#')),
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name)))
      .length,
  }));
}

const clean = { pwned: null, violations: [], images: 0, scripts: 0, links: [], handlers: 0 };
const keyHash = (key: string, rest = '') => `#/key/${encodeURIComponent(key)}${rest}`;

describe('studio page on a hostile store, in Chromium', () => {
  it('the key list shows a key, state and machine of markup as text', async () => {
    const page = await open('#/');
    await page.waitForSelector(`tr[data-key="${HOSTILE.markup.replaceAll('"', '\\"')}"]`);
    expect(await page.locator('table.keys').innerText()).toContain(XSS);
    expect(await injected(page)).toEqual(clean);
    expect(page.errors).toEqual([]);
  });

  it('a generation of markup (header, state, context, Map keys, timers, children) and its quarantined sibling', async () => {
    const page = await open(keyHash(HOSTILE.markup, '/1'));
    await page.waitForSelector('.detail');
    expect(await page.locator('#state-value').innerText()).toBe(`${XSS}.${XSS}`);
    expect(await page.locator('.facts').innerText()).toContain(`${XSS} v1`);
    // Open every branch, so what is drawn on demand is drawn too.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    const context = await page.locator('.tree').innerText();
    // Strings are drawn JSON-quoted (`"<img src=x onerror=\"…`): count the markup's start.
    expect(context.split('<img src=x onerror=').length).toBeGreaterThan(8);
    expect(context).toContain('"javascript:alert(1)"');
    expect(await page.locator('tr.timer').innerText()).toContain(XSS);
    expect(await page.locator('#quarantined .reason').innerText()).toBe(XSS);
    expect(await injected(page)).toEqual(clean);
    expect(page.errors).toEqual([]);
  });

  it('a quarantined generation opened: its markup contents, and damaged markup bytes, drawn as text', async () => {
    const page = await open(keyHash(HOSTILE.markup));
    await page.locator('#quarantined a.seq').first().click();
    await page.waitForSelector('#quarantine-decodes');
    expect(await page.locator('#quarantine-reason').innerText()).toContain(XSS);
    expect(await page.locator('#state-value').innerText()).toBe(`${XSS}.${XSS}`);
    expect(await injected(page)).toEqual(clean);
    // Bytes that are not an envelope at all: the reason, and the bytes themselves as text and hex.
    const key = `${HOSTILE.markup}-damaged`;
    const bytes = new TextEncoder().encode(`${XSS}${XSS}`);
    await adapter.write(key, { seq: 1, epoch: 0, createdAt: Date.now(), byteLength: bytes.length, bytes });
    const info = await adapter.quarantine(key, 1, XSS);
    const damaged = await open(keyHash(key, `/q/${encodeURIComponent(info.id)}`));
    await damaged.waitForSelector('#quarantine-text');
    expect(await damaged.locator('#quarantine-problem').innerText()).toMatch(/^corrupt: /);
    expect(await damaged.locator('#quarantine-text').innerText()).toBe(`${XSS}${XSS}`);
    expect(await damaged.locator('#quarantine-hex').innerText()).toMatch(/^[0-9a-f]{2}( [0-9a-f]{2})+$/);
    expect(await injected(damaged)).toEqual(clean);
    expect([...page.errors, ...damaged.errors]).toEqual([]);
  });

  it('the restore confirmation quotes the markup reason as text', async () => {
    const page = await open(keyHash(HOSTILE.markup));
    const restore = page.locator('#quarantined button.danger');
    await restore.click();
    await page.waitForSelector('#confirm-text');
    expect(await page.locator('#confirm-text').innerText()).toContain(XSS);
    expect(await injected(page)).toEqual(clean);
    await page.locator('#confirm button:has-text("Cancel")').click();
    expect(await adapter.list(HOSTILE.markup)).toHaveLength(2);
  });

  it('a diff of markup generations', async () => {
    const page = await open(keyHash(HOSTILE.markup, '/diff/1/2'));
    await page.waitForSelector('#changes');
    expect(await page.locator('#changes').innerText()).toContain(XSS);
    expect(await injected(page)).toEqual(clean);
    expect(page.errors).toEqual([]);
  });

  it('a generation written at 2^53 - 1 ms says its time is unknown', async () => {
    const page = await open(keyHash(HOSTILE.farFuture));
    await page.waitForSelector('.detail');
    expect(await page.locator('.facts').innerText()).toMatch(/written\s+unknown/i);
    expect(await page.locator('#timeline').innerText()).not.toContain('NaN');
    expect(await page.locator('tr.timer').innerText()).not.toContain('NaN');
    expect(page.errors).toEqual([]);
  });

  it('shared, cyclic, deep and wide values and bad journal headers draw, capped, without a page error', async () => {
    for (const hash of [
      keyHash(HOSTILE.dag),
      keyHash(HOSTILE.cycle),
      keyHash(HOSTILE.deep),
      keyHash(HOSTILE.dagDiff, '/diff/1/2'),
      keyHash(HOSTILE.dots),
      keyHash('journal-huge'),
    ]) {
      const page = await open(hash);
      await page.waitForSelector('.detail, #changes, .verdict.bad');
      expect(page.errors, hash).toEqual([]);
      expect(await injected(page), hash).toEqual(clean);
      if (hash.includes('journal')) expect(await page.locator('.verdict.bad').innerText()).toContain('corrupt');
      if (hash === keyHash(HOSTILE.dots)) expect(await page.locator('#state-value').innerText()).toBe('idle');
      if (hash === keyHash(HOSTILE.deep))
        expect(await page.locator('.tree').innerText()).toMatch(/more not shown|deeper than shown/);
      await page.close();
    }
  });
});
