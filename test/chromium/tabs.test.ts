import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningChromium } from './harness.js';
import { bundle, call, launchChromium, openTab, removeProfile, serve, tempProfile } from './harness.js';
import type { Ack, StepResult } from './page.js';

// Several tabs of one Chromium share IndexedDB, Web Locks and BroadcastChannel, as real tabs do.
let server: Awaited<ReturnType<typeof serve>>;
let chrome: RunningChromium;
let profile: string;

beforeAll(async () => {
  server = await serve(await bundle(fileURLToPath(new URL('./page.ts', import.meta.url))));
  profile = await tempProfile();
  chrome = await launchChromium(profile);
});
afterAll(async () => {
  await chrome?.close();
  await server?.close();
  if (profile) await removeProfile(profile);
});

const ack = ({ seq, epoch, crc, size }: Ack): Ack => ({ seq, epoch, crc, size });
const okAck = (result: StepResult): Ack => {
  if (!result.ok) throw new Error(`write refused: ${result.code}`);
  return ack(result);
};

async function tabs(n: number, dbName: string): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < n; i++) {
    const page = await openTab(chrome.context, server.url);
    await call(page, 'open', dbName);
    pages.push(page);
  }
  return pages;
}

it('two tabs: one writer, the other refused and following; the lock moves when the writer tab closes', async () => {
  const [a, b] = await tabs(2, 'two-tabs');
  expect(await call(a!, 'acquire', 'doc')).toBe(1);
  expect(await call(b!, 'acquire', 'doc')).toBe('lock-held');
  await call(b!, 'queue', 'doc');

  const acks: Ack[] = [];
  for (let i = 0; i < 5; i++) {
    acks.push(okAck(await call(a!, 'step', 'doc', 4096)));
    // The tab without the lock cannot write over the holder's generations.
    expect(await call(b!, 'step', 'doc', 4096)).toMatchObject({ ok: false, code: 'fenced' });
  }
  await expect.poll(() => call(b!, 'notices')).toEqual(acks.map((x) => x.seq));

  const closedAt = Date.now();
  await a!.close();
  await expect.poll(() => call(b!, 'holding'), { timeout: 10_000, interval: 20 }).toBe(2);
  const moveMs = Date.now() - closedAt;
  for (let i = 0; i < 5; i++) acks.push(okAck(await call(b!, 'step', 'doc', 4096)));

  expect((await call(b!, 'stored', 'doc')).reverse()).toEqual(acks);
  console.log(`two tabs: ${acks.length} acknowledged writes all stored; lock moved ${moveMs} ms after the tab closed`);
  await b!.close();
});

it('three tabs hammering one key: never two writers, every acknowledged write kept, 0 silent overwrites', async () => {
  let alive = await tabs(3, 'three-tabs');
  for (const page of alive) await call(page, 'queue', 'doc');
  const acks: Ack[] = [];
  const refused: string[] = [];
  const moves: number[] = [];
  let maxHolders = 0;
  const holders = async () => {
    const epochs = await Promise.all(alive.map((page) => call(page, 'holding')));
    const held = epochs.filter((e) => e !== undefined).length;
    maxHolders = Math.max(maxHolders, held);
    return { held, holder: alive[epochs.findIndex((e) => e !== undefined)] };
  };

  while (alive.length > 0) {
    const since = Date.now();
    await expect.poll(async () => (await holders()).held, { timeout: 10_000, interval: 20 }).toBe(1);
    moves.push(Date.now() - since);
    const { holder } = await holders();
    for (let round = 0; round < 6; round++) {
      // Every tab writes at once; only the lock holder's epoch is current.
      const results = await Promise.all(alive.map((page) => call(page, 'step', 'doc', 2048)));
      for (const r of results) {
        if (r.ok) acks.push(ack(r));
        else refused.push(r.code);
      }
      await holders();
    }
    // Close the writer right after an acknowledged write.
    acks.push(okAck(await call(holder!, 'step', 'doc', 2048)));
    await holder!.close();
    alive = alive.filter((page) => page !== holder);
  }

  expect(maxHolders).toBe(1);
  expect(new Set(refused)).toEqual(new Set(['fenced']));
  expect(new Set(acks.map((x) => x.epoch))).toEqual(new Set([1, 2, 3]));
  const [check] = await tabs(1, 'three-tabs');
  const stored = (await call(check!, 'stored', 'doc')).reverse();
  const expected = [...acks].sort((x, y) => x.seq - y.seq);
  expect(new Set(expected.map((x) => x.seq)).size).toBe(expected.length);
  const overwritten = expected.filter((x, i) => stored[i]?.seq !== x.seq || stored[i]?.crc !== x.crc);
  expect(overwritten).toEqual([]);
  expect(stored).toHaveLength(expected.length);
  console.log(
    `three tabs: ${acks.length} acknowledged, ${refused.length} refused (fenced), 0 overwritten; ` +
      `lock handed over in ${moves.slice(1).join(', ')} ms`,
  );
  await check!.close();
});

it('follow mode: a second tab mirrors the writer tab through notices and takes over when it closes', async () => {
  const a = await openTab(chrome.context, server.url);
  const b = await openTab(chrome.context, server.url);
  expect(await call(a, 'followOpen', 'follow-tabs', 'doc')).toMatchObject({ role: 'writer', count: 0 });
  expect(await call(b, 'followOpen', 'follow-tabs', 'doc')).toMatchObject({ role: 'follower' });

  const lags: number[] = [];
  let acked = 0;
  for (let i = 1; i <= 5; i++) {
    const result = await call(a, 'counterInc', 1024);
    if (!('seq' in result)) throw new Error(`writer tab failed: ${result.code}`);
    acked = result.seq;
    const since = Date.now();
    // The follower's (not started) actor shows the writer's newest acknowledged state.
    await expect
      .poll(() => call(b, 'followState'), { timeout: 5_000, interval: 10 })
      .toMatchObject({ role: 'follower', count: i, seq: acked });
    lags.push(Date.now() - since);
  }

  await a.close();
  await expect.poll(async () => (await call(b, 'followState')).role, { timeout: 10_000, interval: 20 }).toBe('writer');
  expect(await call(b, 'followState')).toMatchObject({ count: 5, seq: acked });
  const next = await call(b, 'counterInc', 1024);
  expect(next).toMatchObject({ count: 6, seq: acked + 1 });
  const stored = await call(b, 'stored', 'doc');
  expect(stored[0]).toMatchObject({ seq: acked + 1, epoch: 2 });
  console.log(`follow: the follower tab showed each acknowledged write within ${Math.max(...lags)} ms, then took over`);
  await b.close();
});
