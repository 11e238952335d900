import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { persistActor, type CheckpointAdapter } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { loadMachineModule } from '../../cli/machine.js';
import { startStudio, type Studio } from '../../studio/server.js';
import {
  chromiumExecutable,
  launchChromium,
  removeProfile,
  tempProfile,
  type RunningChromium,
} from '../chromium/harness.js';
import { repoRoot } from '../cli/harness.js';
import { buildPage, cloneKeys, populate, removeDir, workDir, writeMachine } from './fixture.js';

// Every view of the studio page in Debian's Chromium, against a real file store. The vitest
// config runs this file in the chromium project only when Chromium is there (and in CI, where
// a missing one fails). `XSC_SCREENSHOTS=update` writes the README's screenshots to docs/studio/.
const shots = process.env.XSC_SCREENSHOTS === 'update' ? join(repoRoot, 'docs/studio') : undefined;

let work: string;
let assets: string;
let machine: AnyStateMachine;
let machinePath: string;
let adapter: CheckpointAdapter;
let readOnly: Studio;
let writable: Studio;
let chrome: RunningChromium;
let profile: string;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  if (!chromiumExecutable())
    throw new Error('No Chromium: install it (apt-get install chromium) or set CHROMIUM_PATH.');
  work = await workDir();
  assets = await buildPage(join(work, 'page'));
  ({ path: machinePath, machine } = await writeMachine(work));
  const module = await loadMachineModule(machinePath, work);
  await mkdir(join(work, 'store'));
  // order-1's newest generation is written four fixture minutes later, at about the real now: its timer's
  // deadline (taken by XState from the real clock) then reads as it would in a live store.
  adapter = await populate(join(work, 'store'), machine, Date.now() - 4 * 60_000);
  const common = {
    adapter,
    assetsDir: assets,
    machine: module,
    machinePath,
    cwd: work,
    pollMs: 100,
    keysPollMs: 300,
    store: './state',
  };
  readOnly = await startStudio(common);
  writable = await startStudio({ ...common, write: true });
  profile = await tempProfile();
  chrome = await launchChromium(profile);
  if (shots) await mkdir(shots, { recursive: true });
}, 120_000);
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await chrome?.close();
  await readOnly?.close();
  await writable?.close();
  await adapter?.dispose();
  if (profile) await removeProfile(profile);
  if (work) await removeDir(work);
});

// Each page keeps an event stream open, and Chromium allows 6 connections per host: close them.
const pages: Page[] = [];
afterEach(async () => {
  for (const page of pages.splice(0)) await page.close().catch(() => undefined);
});

async function open(studio: Studio, hash = '#/', dark = false): Promise<Page> {
  const page = await chrome.context.newPage();
  pages.push(page);
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' });
  await page.goto(`${studio.url}${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

const shoot = async (page: Page, name: string, fullPage = true) => {
  await page.mouse.move(0, 0);
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage, animations: 'disabled' });
};

describe('studio page in Chromium', () => {
  it('keys: every key with its state, newest generation, and a mark on quarantined ones; search', async () => {
    const page = await open(readOnly, '#/', true);
    const rows = page.locator('table.keys tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.nth(0).innerText()).toMatch(/order-1\s+checkout\.payment\s+#5\s+5/);
    expect(await page.locator('tr[data-key="order-3"] .badge.warn').innerText()).toContain('1 quarantined');
    expect(await page.locator('.mode').innerText()).toMatch(/read-only/i);
    await shoot(page, 'keys');
    await page.fill('input.search', 'order-3');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.locator('#key-count').innerText()).toContain('1 key');
  });

  it('one key: the timeline, the generation with typed context, timers, and the machine with its active states', async () => {
    const page = await open(readOnly, '#/key/order-1', true);
    await page.waitForSelector('.detail');
    expect(await page.locator('#timeline .gen').count()).toBe(5);
    expect(await page.locator('#state-value').innerText()).toBe('checkout.payment');
    expect(await page.locator('.verdict.ok').innerText()).toContain('restores into the machine');
    const context = await page.locator('.tree').first().innerText();
    expect(context).toContain('Date2026-01-02T03:04:05.000Z');
    expect(context).toMatch(/prices: Map\s*\(4\)/);
    expect(context).toMatch(/"tea" ⇒ 3/);
    expect(await page.locator('tr.timer').innerText()).toMatch(/xstate\.after.*in \d+ min/s);
    expect(await page.locator('[data-state="checkout.payment"]').getAttribute('class')).toContain('active');
    expect(await page.locator('[data-state="cart"]').getAttribute('class')).not.toContain('active');
    await shoot(page, 'key');
    await page.click('#timeline .gen[data-seq="1"]');
    await expect.poll(() => page.locator('#state-value').innerText()).toBe('cart');
    expect(page.url()).toContain('#/key/order-1/1');
  });

  it('a key with a quarantined generation shows it apart, with its reason', async () => {
    const page = await open(readOnly, '#/key/order-3');
    await page.waitForSelector('#quarantined');
    expect(await page.locator('#quarantined').innerText()).toMatch(
      /#2[\s\S]*validation: context\.count must be a number/,
    ); // Opened, it shows what it holds (its bytes decode: it failed validation, not the checksum).
    await page.locator('#quarantined a.seq').click();
    await page.waitForSelector('#quarantine-decodes');
    expect(page.url()).toMatch(/#\/key\/order-3\/q\//);
    expect(await page.locator('#quarantined .q-item.selected').count()).toBe(1);
    expect(await page.locator('#quarantine-reason').innerText()).toContain('validation');
  });

  it('two generations side by side, the differences listed and marked', async () => {
    const page = await open(readOnly, '#/key/order-1/diff/1/5', true);
    await page.waitForSelector('#changes');
    const changes = await page.locator('#changes').innerText();
    expect(changes).toMatch(/~\s*value/);
    expect(changes).toMatch(/~\s*context\.count\s*0 → 3/);
    expect(changes).toMatch(/\+\s*context\.prices\.get\("item1"\)/);
    expect(await page.locator('.sides .card').count()).toBe(2);
    expect(await page.locator('.sides .node.changed[data-path="context.count"]').count()).toBe(2);
    await shoot(page, 'diff');
  });

  it('live: a generation written while the page is open appears without a reload', async () => {
    const page = await open(readOnly, '#/key/order-2');
    await page.waitForSelector('#timeline');
    expect(await page.locator('#timeline .gen').count()).toBe(1);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const p = await persistActor(machine, { key: 'order-2', adapter, flushOnExit: false });
    p.actor.send({ type: 'ADD' });
    await p.flush();
    await p.close();
    await expect.poll(() => page.locator('#timeline .gen').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.locator('#timeline .gen').first().innerText()).toContain('#2');
  });

  it('without --write: the actions are disabled and the server refuses them', async () => {
    const page = await open(readOnly, '#/key/order-1/2');
    await page.waitForSelector('#rollback');
    expect(await page.locator('#rollback').isDisabled()).toBe(true);
    expect(await page.locator('#rollback').getAttribute('title')).toContain('--write');
    const status = await page.evaluate(async () => {
      const res = await fetch('api/rollback', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'order-1', seq: 2, nextSeq: 6 }),
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    });
    expect(status).toMatchObject({ status: 403, body: { error: { code: 'read-only' } } });
    expect((await adapter.list('order-1')).length).toBe(5);
  });

  it('with --write: rollback after a confirmation saying what will be written', async () => {
    const page = await open(writable, '#/key/order-1/2');
    await page.waitForSelector('#rollback:not([disabled])');
    await page.click('#rollback');
    await page.waitForSelector('dialog[open] #confirm-text');
    expect(await page.locator('#confirm-text').innerText()).toMatch(
      /generation #2 .* as new generation #6 of "order-1"/,
    );
    await shoot(page, 'rollback-confirm', false);
    await page.click('#confirm-write');
    await expect.poll(() => page.locator('#timeline .gen').count(), { timeout: 10_000 }).toBe(6);
    await expect.poll(() => page.locator('#state-value').innerText()).toBe('cart');
    const [newest] = await adapter.list('order-1');
    expect(newest?.seq).toBe(6);
  });

  it('10,000 keys: the first page of the list shows (time printed, not asserted)', async () => {
    const dir = join(work, 'large');
    await mkdir(dir);
    const large = fileAdapter({ dir });
    closers.push(() => large.dispose());
    const p = await persistActor(machine, { key: 'seed', adapter: large, flushOnExit: false });
    await p.flush();
    await p.close();
    await cloneKeys(dir, 'seed', 10_000);
    const studio = await startStudio({ adapter: large, assetsDir: assets, cwd: work });
    closers.push(() => studio.close());
    const page = await chrome.context.newPage();
    pages.push(page);
    const t0 = performance.now();
    await page.goto(studio.url);
    await page.waitForSelector('table.keys tbody tr');
    const ms = performance.now() - t0;
    expect(await page.locator('table.keys tbody tr').count()).toBe(50);
    expect(await page.locator('#key-count').innerText()).toContain('10,001 keys');
    console.log(
      `studio page, 10,001 keys: first 50 rows shown ${ms.toFixed(0)} ms after navigation (${await page.locator('#key-count').innerText()})`,
    );
  }, 120_000);
});
