import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningChromium } from './harness.js';
import { bundle, call, launchChromium, openTab, removeProfile, serve, tempProfile } from './harness.js';
import type { Ack } from './page.js';

// What an acknowledgement is worth: a write whose promise resolved (the transaction's
// `complete` fired) must survive the tab closing at once and the browser being SIGKILLed.
let server: Awaited<ReturnType<typeof serve>>;
const profiles: string[] = [];
const running: RunningChromium[] = [];

beforeAll(async () => {
  server = await serve(await bundle(fileURLToPath(new URL('./page.ts', import.meta.url))));
});
afterAll(async () => {
  for (const chrome of running) await chrome.close();
  await server?.close();
  for (const dir of profiles) await removeProfile(dir);
});

async function start(profile?: string) {
  const dir = profile ?? (await tempProfile());
  if (!profile) profiles.push(dir);
  const chrome = await launchChromium(dir);
  running.push(chrome);
  return { chrome, profile: dir };
}

it('a tab closed right after an acknowledged write or flush loses none of them', async () => {
  const { chrome } = await start();
  const acks: Ack[] = [];
  for (let seq = 1; seq <= 6; seq++) {
    const page = await openTab(chrome.context, server.url);
    await call(page, 'open', 'tab-close');
    const result = await call(page, 'write', 'doc', seq, 0, 1024 * 1024);
    if (!result.ok) throw new Error(`write refused: ${result.code}`);
    acks.push({ seq: result.seq, epoch: result.epoch, crc: result.crc, size: result.size });
    await page.close();
  }
  let last = { count: 0, seq: 0 };
  for (let i = 1; i <= 3; i++) {
    const page = await openTab(chrome.context, server.url);
    expect((await call(page, 'counterOpen', 'tab-close-actor', 'counter')).count).toBe(i - 1);
    const inc = await call(page, 'counterInc');
    if ('code' in inc) throw new Error(`flush failed: ${inc.code}`);
    last = inc;
    await page.close();
  }

  const check = await openTab(chrome.context, server.url);
  await call(check, 'open', 'tab-close');
  expect((await call(check, 'stored', 'doc')).reverse()).toEqual(acks);
  expect(await call(check, 'counterOpen', 'tab-close-actor', 'counter')).toEqual({
    count: 3,
    source: 'checkpoint',
    seq: last.seq,
  });
  console.log('tab close: 6 of 6 acknowledged 1 MB writes and 3 of 3 acknowledged flushes present');
});

it.each(['strict', 'relaxed'] as const)(
  'SIGKILL of the browser while writing (durability %s): every acknowledged write is there after relaunch',
  async (durability) => {
    const first = await start();
    const page = await openTab(first.chrome.context, server.url);
    const acks: Ack[] = [];
    await page.exposeFunction('ack', (a: Ack) => void acks.push(a));
    await call(page, 'open', 'kill', durability);
    await call(page, 'writeLoop', 'doc', 256 * 1024, 1);
    await expect.poll(() => acks.length, { timeout: 30_000, interval: 5 }).toBeGreaterThanOrEqual(15);
    // Writes are still in flight when the process group dies.
    const known = acks.slice();
    await first.chrome.kill();

    const second = await start(first.profile);
    const check = await openTab(second.chrome.context, server.url);
    await call(check, 'open', 'kill');
    const stored = new Map((await call(check, 'stored', 'doc')).map((s) => [s.seq, s]));
    const missing = known.filter((a) => stored.get(a.seq)?.crc !== a.crc);
    expect(missing).toEqual([]);
    const newest = Math.max(...stored.keys());
    console.log(
      `SIGKILL (${durability}): ${known.length} of ${known.length} acknowledged writes present after relaunch; ` +
        `${newest - known.at(-1)!.seq} more completed without reaching Node`,
    );
    await second.chrome.close();
  },
);
