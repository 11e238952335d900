import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installBuiltPackage } from '../helpers/built-package.js';
import type { RunningChromium } from './harness.js';
import { launchChromium, removeProfile, serveDir, tempProfile } from './harness.js';

// examples/browser, built for production against the package as published (a fresh build of
// the package, resolved through its package.json exports, never the source) and driven like
// a user would: fill two steps of the checkout, reload, and find the state and the session
// timer back; a second tab; a placed order and a new one.
const root = fileURLToPath(new URL('../../', import.meta.url));
const work = `${root}test/.tmp/example-browser-${process.pid}`;
const outDir = `${work}/site`;
const TTL = 10_000;
/** `XSC_SCREENSHOTS=update` writes the README's screenshots; otherwise they go to the scratch folder. */
const shots = process.env.XSC_SCREENSHOTS === 'update' ? `${root}examples/browser/screenshots` : `${work}/screenshots`;

let server: Awaited<ReturnType<typeof serveDir>>;
let chrome: RunningChromium;
let profile: string;

beforeAll(async () => {
  await rm(work, { recursive: true, force: true });
  await installBuiltPackage(work);
  process.env.XSC_PACKAGE_ROOT = work;
  try {
    await build({ configFile: `${root}examples/browser/vite.config.ts`, logLevel: 'silent', build: { outDir } });
  } finally {
    delete process.env.XSC_PACKAGE_ROOT;
  }
  await mkdir(shots, { recursive: true });
  server = await serveDir(outDir);
  profile = await tempProfile();
  chrome = await launchChromium(profile);
}, 180_000);
afterAll(async () => {
  await chrome?.close();
  await server?.close();
  if (profile) await removeProfile(profile);
  await rm(work, { recursive: true, force: true });
});

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const savedSeq = async (page: Page) => Number(/generation (\d+)/.exec(await text(page, '#saved'))?.[1] ?? 0);
/** A screenshot of the page's content, for the README. */
const shoot = async (page: Page, name: string) => {
  await page.mouse.move(0, 0);
  await page.locator('.page').screenshot({ path: `${shots}/${name}.png`, animations: 'disabled' });
};
const newPage = async (context = chrome.context) => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 640, height: 720 });
  return page;
};

it('is built from the package as published: its exports, not the source', async () => {
  const { readFile, readdir } = await import('node:fs/promises');
  const assets = await readdir(`${outDir}/assets`);
  const js = (
    await Promise.all(assets.filter((a) => a.endsWith('.js')).map((a) => readFile(`${outDir}/assets/${a}`, 'utf8')))
  ).join('\n');
  expect(js).not.toMatch(/from ['"]node:/);
  expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
});

it('fill two steps, reload: the step, the data and the pending session timer are back', async () => {
  const page = await newPage();
  await page.goto(`${server.url}?ttl=${TTL}`);
  await expect.poll(() => text(page, '#restored')).toBe('Fresh start');
  const expiresAt = Number(await page.locator('#session').getAttribute('data-expires-at'));

  await page.fill('input[name=name]', 'Ada Lovelace');
  await page.fill('input[name=address]', '12 St James Square');
  await page.click('#shipping button[type=submit]');
  await page.selectOption('select[name=payment]', 'invoice');
  const before = await savedSeq(page);
  await page.click('#payment button[type=submit]');
  await page.locator('#review').waitFor();
  // The checkpoint of the review step is durable once the page says so.
  await expect.poll(() => savedSeq(page)).toBeGreaterThan(before);

  // Reload 4 s into the session, so a timer restarted on restore would fire 4 s late.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - TTL + 4_000 - Date.now())));
  // Read after the wait: a debounced save of an earlier step may still have landed.
  const seq = await savedSeq(page);
  const reloadedAt = Date.now();
  await page.reload();
  await expect.poll(() => text(page, '#restored')).toBe(`Restored from generation ${seq} (1 pending timer restored)`);
  // Right after a restore the page knows what is stored: the generation it restored.
  expect(await text(page, '#saved')).toBe(`Saved (generation ${seq})`);
  expect(await text(page, '#review .summary')).toBe('Ada Lovelace, 12 St James Square, paying by invoice');
  expect(Number(await page.locator('#session').getAttribute('data-expires-at'))).toBe(expiresAt);
  await shoot(page, 'restored');

  // The restored timer fires at the original deadline, not a full TTL after the reload.
  await page.locator('#expired').waitFor({ timeout: TTL + 5_000 });
  const expiredAt = Number(await page.locator('#expired').getAttribute('data-expired-at'));
  expect(Math.abs(expiredAt - expiresAt)).toBeLessThan(1_500);
  expect(expiredAt).toBeLessThan(reloadedAt + TTL - 2_000);
  console.log(
    `example: restored from #${seq} after reload; session expired ${expiredAt - expiresAt} ms from its original deadline ` +
      `(a restarted timer would have fired ${reloadedAt + TTL - expiresAt} ms late)`,
  );
  await page.close();
});

it('typed but unsubmitted input survives a reload; a placed order stays placed and a new one starts empty', async () => {
  const context = await chrome.browser.newContext();
  const page = await newPage(context);
  await page.goto(`${server.url}?ttl=120000`);
  await expect.poll(() => text(page, '#restored')).toBe('Fresh start');
  const before = await savedSeq(page);
  await page.fill('input[name=name]', 'Katherine Johnson');
  await page.fill('input[name=address]', '4 Langley Way');
  // Typed, not submitted: the draft is in the checkpoint once the page says it saved.
  await expect.poll(() => savedSeq(page)).toBeGreaterThan(before);
  await page.waitForTimeout(300);
  await page.reload();
  await expect
    .poll(() => text(page, '#restored'))
    .toMatch(/^Restored from generation \d+ \(1 pending timer restored\)$/);
  expect(await page.inputValue('input[name=name]')).toBe('Katherine Johnson');
  expect(await page.inputValue('input[name=address]')).toBe('4 Langley Way');
  await page.locator('input[name=address]').focus();
  await shoot(page, 'draft-restored');

  await page.click('#shipping button[type=submit]');
  await page.selectOption('select[name=payment]', 'card');
  await page.click('#payment button[type=submit]');
  await page.click('#review button.primary');
  await page.locator('#done').waitFor();
  const placed = await savedSeq(page);
  await expect.poll(() => savedSeq(page)).toBeGreaterThan(placed - 1);
  await page.waitForTimeout(300);
  await page.reload();
  // Not a dead end, and not a final state that restores as a stopped actor: placed, with a way on.
  await page.locator('#done').waitFor();
  expect(await text(page, '#done .summary')).toBe('Katherine Johnson, 4 Langley Way, paying by card');
  await shoot(page, 'order-placed');
  await page.click('#new-order');
  await page.locator('#shipping').waitFor();
  expect(await page.inputValue('input[name=name]')).toBe('');
  expect(await page.locator('#session').count()).toBe(1);
  await context.close();
});

it('a second tab follows the first read-only, then takes over the checkout when the first closes', async () => {
  // A fresh storage partition, so the first test's checkout does not carry over.
  const context = await chrome.browser.newContext();
  const url = `${server.url}?ttl=120000`;
  const a = await newPage(context);
  await a.goto(url);
  await expect.poll(() => text(a, '#restored')).toBe('Fresh start');
  const b = await newPage(context);
  await b.goto(url);
  await b.locator('#following').waitFor();
  expect(await b.locator('input[name=name]').isDisabled()).toBe(true);
  expect(await a.locator('#following').count()).toBe(0);

  await a.fill('input[name=name]', 'Grace Hopper');
  await a.fill('input[name=address]', '1 Harbor Road');
  await a.click('#shipping button[type=submit]');
  // The follower shows the writer's newest checkpoint: now at the payment step.
  await b.locator('#payment').waitFor();
  expect(await b.locator('select[name=payment]').isDisabled()).toBe(true);
  expect(await text(b, '#saved')).toMatch(/^Following the other tab \(generation \d+\)$/);
  await shoot(b, 'second-tab');

  const closedAt = Date.now();
  await a.close();
  await b.locator('#following').waitFor({ state: 'detached' });
  const tookOverMs = Date.now() - closedAt;
  expect(await b.locator('select[name=payment]').isDisabled()).toBe(false);
  await b.selectOption('select[name=payment]', 'invoice');
  await b.click('#payment button[type=submit]');
  await b.locator('#review').waitFor();
  expect(await text(b, '#review .summary')).toBe('Grace Hopper, 1 Harbor Road, paying by invoice');
  console.log(`example: the second tab followed the first and took over ${tookOverMs} ms after it closed`);
  await context.close();
});
