import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningChromium } from './harness.js';
import { launchChromium, removeProfile, serveDir, tempProfile } from './harness.js';

// examples/browser, built for production and driven like a user would: fill two
// steps of the checkout, reload, and find the state and the session timer back.
const root = fileURLToPath(new URL('../../', import.meta.url));
const outDir = `${root}test/.tmp/example-browser`;
const TTL = 10_000;

let server: Awaited<ReturnType<typeof serveDir>>;
let chrome: RunningChromium;
let profile: string;

beforeAll(async () => {
  await build({ configFile: `${root}examples/browser/vite.config.ts`, logLevel: 'silent', build: { outDir } });
  server = await serveDir(outDir);
  profile = await tempProfile();
  chrome = await launchChromium(profile);
});
afterAll(async () => {
  await chrome?.close();
  await server?.close();
  if (profile) await removeProfile(profile);
});

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const savedSeq = async (page: Page) => Number(/#(\d+)/.exec(await text(page, '#saved'))?.[1] ?? 0);

it('fill two steps, reload: the step, the data and the pending session timer are back', async () => {
  const page = await chrome.context.newPage();
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
  await expect.poll(() => text(page, '#restored')).toBe(`Restored from checkpoint #${seq} (1 pending timer restored)`);
  expect(await text(page, '#review p')).toBe('Ada Lovelace, 12 St James Square, paying by invoice');
  expect(Number(await page.locator('#session').getAttribute('data-expires-at'))).toBe(expiresAt);

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

it('a second tab follows the first read-only, then takes over the checkout when the first closes', async () => {
  // A fresh storage partition, so the first test's checkout does not carry over.
  const context = await chrome.browser.newContext();
  const url = `${server.url}?ttl=120000`;
  const a = await context.newPage();
  await a.goto(url);
  await expect.poll(() => text(a, '#restored')).toBe('Fresh start');
  const b = await context.newPage();
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

  const closedAt = Date.now();
  await a.close();
  await b.locator('#following').waitFor({ state: 'detached' });
  const tookOverMs = Date.now() - closedAt;
  expect(await b.locator('select[name=payment]').isDisabled()).toBe(false);
  await b.selectOption('select[name=payment]', 'invoice');
  await b.click('#payment button[type=submit]');
  await b.locator('#review').waitFor();
  expect(await text(b, '#review p')).toBe('Grace Hopper, 1 Harbor Road, paying by invoice');
  console.log(`example: the second tab followed the first and took over ${tookOverMs} ms after it closed`);
  await context.close();
});
