import http from 'node:http';
import net from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointAdapter } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { encodeEnvelope, openEnvelope } from '../../src/envelope.js';
import { formatTime } from '../../cli/output.js';
import { KeyIndex, MAX_PAGE, ROW_READS } from '../../studio/keys.js';
import { startStudio, type Studio } from '../../studio/server.js';
import { taggedJsonCodec } from '../../src/codec/index.js';
import type { TreeNode } from '../../studio/tree.js';
import { removeDir, workDir } from './fixture.js';
import { request } from './http.js';
import { BAD_JOURNAL, envelope, HOSTILE, hostileStore, payload, XSS } from './hostile-store.js';

// The studio against a store an attacker wrote: markup in every string the page draws, values
// that share objects or contain themselves, huge and deep contexts, header fields a writer never
// writes, keys shaped like paths. Every answer must be data (JSON, nosniff), capped, typed, and
// the server must keep answering. The page's side (nothing executes) is hostile.chromium.test.ts.

// Answers are checked field by field; their static shape is the server's business.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

let work: string;
let assets: string;
const open: Array<{ close(): Promise<unknown> }> = [];

beforeAll(async () => {
  work = await workDir();
  // The API tests need a page to serve, not the real one (its build is the Chromium test's).
  assets = join(work, 'page');
  await mkdir(assets);
  await writeFile(join(assets, 'index.html'), '<!doctype html><title>checkpoint studio</title>');
});
afterAll(async () => {
  for (const o of open.reverse()) await o.close().catch(() => undefined);
  if (work) await removeDir(work);
});

const q = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

/** Every string anywhere in a tree node (values, keys, names). */
function strings(node: TreeNode): string[] {
  switch (node.t) {
    case 'string':
      return [node.v];
    case 'error':
      return [node.name, node.message];
    case 'object':
    case 'array':
    case 'map':
    case 'set':
      return node.entries.flatMap(([k, v]) => [...(typeof k === 'string' ? [k] : strings(k)), ...strings(v)]);
    default:
      return [];
  }
}
const count = (node: TreeNode): number =>
  'entries' in node
    ? 1 + node.entries.reduce((n, [k, v]) => n + (typeof k === 'string' ? 0 : count(k)) + count(v), 0)
    : 1;

describe.each([
  ['memory', async () => memoryAdapter()],
  [
    'fs',
    async () => {
      const dir = join(work, `fs-${Math.random().toString(36).slice(2)}`);
      await mkdir(dir);
      return fileAdapter({ dir });
    },
  ],
] as const)('studio against a hostile %s store', (_name, make) => {
  let s: Studio;
  let adapter: CheckpointAdapter;
  const get = async (path: string, params: Record<string, string | number> = {}) => {
    const res = await request(s.port, `/${s.token}/api/${path}${Object.keys(params).length ? `?${q(params)}` : ''}`);
    return { ...res, json: JSON.parse(res.body) };
  };

  beforeAll(async () => {
    adapter = await hostileStore(await make());
    open.push({ close: () => adapter.dispose() });
    s = await startStudio({ adapter, assetsDir: assets, write: true, cwd: work, pollMs: 50, keysPollMs: 100 });
    open.push(s);
  }, 60_000);

  it('answers stored markup as JSON data, byte for byte, never as a page (nosniff)', async () => {
    const keys = await get('keys', { q: '<img' });
    expect(keys.status).toBe(200);
    expect(keys.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(keys.headers['x-content-type-options']).toBe('nosniff');
    expect(keys.json.rows.map((r: Any) => r.key)).toEqual([HOSTILE.markup]);
    expect(keys.json.rows[0].newest.state).toBe(`${XSS}.${XSS}`);

    const key = await get('key', { key: HOSTILE.markup });
    expect(key.json.quarantined[0].reason).toBe(XSS);

    const g = (await get('generation', { key: HOSTILE.markup, seq: 1 })).json;
    expect(g.header.machine).toBe(XSS);
    expect(g.state).toBe(`${XSS}.${XSS}`);
    expect(g.children).toEqual([{ id: XSS, src: XSS, status: XSS, state: XSS }]);
    expect(g.timers[0]).toMatchObject({ id: XSS, event: XSS, source: XSS, target: XSS });
    const texts = strings(g.context);
    expect(texts.filter((t) => t === XSS).length).toBeGreaterThanOrEqual(8);
    expect(texts).toContain('javascript:alert(1)');
    // A Map key that is an object stays a typed node, not a string the page would have to parse.
    const prices = g.context.entries.find(([k]: [string]) => k === 'prices')[1];
    expect(prices.entries[1][0]).toMatchObject({ t: 'object', entries: [[XSS, { t: 'string', v: XSS }]] });
  });

  it('a state value of shared objects (2^60 paths) or containing itself: every view answers, capped', async () => {
    for (const key of [HOSTILE.dag, HOSTILE.cycle]) {
      const g = await get('generation', { key, seq: 1 });
      expect(g.status, key).toBe(200);
      expect(g.json.state.length, key).toBeLessThanOrEqual(1001);
      expect(g.json.state, key).toMatch(/…$/);
    }
    const row = (await get('keys', { q: 'dag-state' })).json.rows[0];
    expect(row.newest.state.length).toBeLessThanOrEqual(1001);
    // The two contexts share every object 2^40 ways; each pair of objects is compared once, so the
    // one different leaf shows at the first two paths reaching it (`a…a.a` and `a…a.b`), not 2^40.
    const diff = await get('diff', { key: HOSTILE.dagDiff, a: 1, b: 2 });
    expect(diff.status).toBe(200);
    expect(diff.json.total).toBe(2);
    expect(diff.json.changes[1].path).toBe(`context${'.a'.repeat(39)}.b`);
    expect(diff.json.changes[0]).toMatchObject({
      path: `context${'.a'.repeat(40)}`,
      kind: 'changed',
      from: { t: 'number', v: '1' },
      to: { t: 'number', v: '2' },
    });
    const cyclic = (await get('generation', { key: HOSTILE.cycle, seq: 1 })).json.context;
    expect(cyclic.entries[0][1].entries[0][1]).toEqual({ t: 'ref', path: '$' });
  });

  it('a huge or deeply nested context is cut to what a page can draw', async () => {
    const res = await get('generation', { key: HOSTILE.deep, seq: 1 });
    expect(res.status).toBe(200);
    expect(res.body.length).toBeLessThan(2_000_000);
    const context = res.json.context as TreeNode;
    expect(count(context)).toBeLessThanOrEqual(10_001);
    expect(res.body).toContain('deeper than shown');
    const wide = (context as Any).entries.find(([k]: [string]) => k === 'wide')[1];
    expect(wide.size).toBe(200);
    const shown = wide.entries.reduce((n: number, [, v]: Any) => n + v.entries.length, 0);
    expect(shown).toBeLessThan(200 * 200);
    expect(wide.entries.at(-1)[1].more ?? wide.more).toBeGreaterThan(0);
  });

  it('journal positions a writer never writes (negative, 1.5, 2^60, a string) are a typed corrupt error', async () => {
    for (const name of Object.keys(BAD_JOURNAL)) {
      const key = `journal-${name}`;
      const g = await get('generation', { key, seq: 1 });
      expect(g.status, key).toBe(422);
      expect(g.json.error, key).toMatchObject({ code: 'corrupt', key, seq: 1 });
      expect(g.json.error.message, key).toContain('"journal"');
      const row = (await get('keys', { q: key })).json.rows[0];
      expect(row.newest.problem, key).toBe('corrupt');
    }
    const ok = envelope(1, payload({ value: 'idle', context: {} }));
    // A valid position passes through to the header the page shows.
    const opened = openEnvelope(ok);
    const withJournal = encodeEnvelope({ ...opened.header, journal: 2 ** 40 }, opened.payload);
    await adapter.write('journal-ok', {
      seq: 1,
      epoch: 0,
      byteLength: withJournal.length,
      createdAt: 1,
      bytes: withJournal,
    });
    expect((await get('generation', { key: 'journal-ok', seq: 1 })).json.header.journal).toBe(2 ** 40);
  });

  it('a header written at 2^53 - 1 ms (past what a Date holds) is shown, and the CLI prints it as unknown', async () => {
    const g = await get('generation', { key: HOSTILE.farFuture, seq: 1 });
    expect(g.status).toBe(200);
    expect(g.json.header.createdAt).toBe(Number.MAX_SAFE_INTEGER);
    expect(g.json.timers[0].deadline).toBe(Number.MAX_SAFE_INTEGER);
    expect(formatTime(Number.MAX_SAFE_INTEGER)).toBe('unknown');
    expect(formatTime(8.64e15)).toBe('+275760-09-13T00:00:00.000Z');
  });

  it('keys shaped like paths, with NUL, over the limit or unknown get their own answer or a typed error', async () => {
    const dots = await get('key', { key: HOSTILE.dots });
    expect(dots.status).toBe(200);
    expect(dots.json.generations).toHaveLength(1);
    expect((await get('generation', { key: HOSTILE.dots, seq: 1 })).json.state).toBe('idle');
    expect((await get('key', { key: HOSTILE.long })).json.generations).toHaveLength(1);
    expect((await get('keys', { q: 'long-' })).json.rows[0].key).toBe(HOSTILE.long);
    for (const [key, code] of [
      ['a\0b', 'invalid-key'],
      ['x'.repeat(5000), 'invalid-key'],
      ['../nope', 'not-found'],
    ] as const) {
      const res = await get('key', { key });
      expect(res.status, code).toBe(code === 'not-found' ? 404 : 422);
      expect(res.json.error.code).toBe(code);
    }
    // A 100 KB search is over Node's header limit (431); the search is cut at 500 characters.
    expect((await request(s.port, `/${s.token}/api/keys?q=${'x'.repeat(100_000)}`)).status).toBe(431);
    expect((await get('keys', { q: 'y'.repeat(5_000) })).json.total).toBe(0);
  });

  it('asset paths with NUL, traversal or broken escapes are refused, and the server keeps answering', async () => {
    for (const path of ['%00', 'a%00.html', '%2e%2e%2f%2e%2e%2fpackage.json', '..%5c..%5cpackage.json', '%E0%A4%A']) {
      const res = await request(s.port, `/${s.token}/${path}`);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    expect((await get('info')).status).toBe(200);
  });

  it('the event stream carries a key with newlines as one JSON line', async () => {
    const key = `${XSS}\n\nevent: keys\ndata: {"total":-1}\n\n`;
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: s.port, path: `/${s.token}/api/events?${q({ key })}` }, (res) => {
        let all = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          all += chunk;
          if (all.includes('\n\n')) {
            req.destroy();
            resolve(all);
          }
        });
      });
      req.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
    });
    const [first] = text.split('\n\n');
    expect(first!.split('\n')).toHaveLength(2);
    expect(first).toMatch(/^event: ready\ndata: /);
    expect(JSON.parse(first!.slice(first!.indexOf('data: ') + 6)).key).toBe(key);
  });

  it('every answer, refusals included, says Referrer-Policy: no-referrer, so the token never leaves in a Referer', async () => {
    const answers = [
      await request(s.port, `/${s.token}/`),
      await request(s.port, `/${s.token}/api/keys`),
      await request(s.port, `/wrong/api/keys`),
      await request(s.port, `/${s.token}/api/keys`, { headers: { host: 'evil.example' } }),
      await request(s.port, `/${s.token}/api/generation?key=journal-float&seq=1`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 401, 403, 422]);
    for (const a of answers) {
      expect(a.headers['referrer-policy']).toBe('no-referrer');
      expect(a.headers['content-security-policy']).toContain("script-src 'self'");
      expect(a.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('refuses rebinding Hosts and forged Origins on writes, and writes nothing', async () => {
    const before = await adapter.list(HOSTILE.markup);
    for (const host of [`localhost.:${s.port}`, `127.0.0.1:${s.port}.evil.example`, `0.0.0.0:${s.port}`]) {
      const res = await request(s.port, `/${s.token}/api/info`, { headers: { host } });
      expect(res.status, host).toBe(403);
    }
    // HTTP/1.0 without any Host header.
    const bare = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(s.port, '127.0.0.1', () => socket.end(`GET /${s.token}/api/info HTTP/1.0\r\n\r\n`));
      let all = '';
      socket.setEncoding('utf8').on('data', (d: string) => (all += d));
      socket.on('end', () => resolve(all)).on('error', reject);
    });
    expect(bare).toMatch(/^HTTP\/1\.1 403/);
    for (const origin of [
      'null',
      `http://127.0.0.1:${s.port}.evil.example`,
      `https://127.0.0.1:${s.port}`,
      `http://evil.example`,
      `http://127.0.0.1:${s.port}/`,
    ]) {
      for (const path of ['rollback/preview', 'rollback']) {
        const res = await request(s.port, `/${s.token}/api/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: JSON.stringify({ key: HOSTILE.markup, seq: 1, nextSeq: 4 }),
        });
        expect(res.status, origin).toBe(403);
        expect(JSON.parse(res.body).error.code).toBe('bad-origin');
      }
    }
    expect(await adapter.list(HOSTILE.markup)).toEqual(before);
  });

  it('write bodies with numbers past 2^53, negative sequences or a __proto__ key are refused as typed errors', async () => {
    const post = (body: string) =>
      request(s.port, `/${s.token}/api/rollback/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${s.port}` },
        body,
      });
    expect((await post(`{"key":"a","seq":1152921504606846976}`)).status).toBe(400);
    expect((await post(`{"key":"a","seq":1.5}`)).status).toBe(400);
    expect((await post(`{"key":${JSON.stringify(HOSTILE.markup)},"seq":-1}`)).status).toBe(404);
    expect((await post(`{"__proto__":{"key":"x","seq":1},"seq":1}`)).status).toBe(400);
    expect((await post(`[1]`)).status).toBe(400);
    expect((await post(`{"key":"${'x'.repeat(70_000)}","seq":1}`)).status).toBe(400);
    expect(({} as Record<string, unknown>)['key']).toBeUndefined();
    expect((await get('info')).status).toBe(200);
  });
});

describe('studio with --machine against a hostile store', () => {
  it('shared or self-containing state values get the verify verdict, and their active paths stay small', async () => {
    const { loadMachineModule } = await import('../../cli/machine.js');
    const { writeMachine } = await import('./fixture.js');
    const { path } = await writeMachine(work);
    const adapter = await hostileStore();
    const cyclic: Record<string, unknown> = {};
    cyclic['checkout'] = cyclic;
    const bytes = envelope(1, payload({ value: cyclic, context: { count: 0 } }));
    await adapter.write('machine-cycle', { seq: 1, epoch: 0, byteLength: bytes.length, createdAt: 1, bytes });
    const s = await startStudio({
      adapter,
      assetsDir: assets,
      cwd: work,
      machine: await loadMachineModule(path, work),
    });
    open.push(s, { close: () => adapter.dispose() });
    for (const [key, code] of [
      [HOSTILE.dag, 'invalid-state'],
      [HOSTILE.cycle, 'invalid-state'],
      ['machine-cycle', 'invalid-state'],
      [HOSTILE.markup, 'machine-mismatch'],
    ] as const) {
      const res = await request(s.port, `/${s.token}/api/generation?${q({ key, seq: 1 })}`);
      expect(res.status, key).toBe(200);
      const view = JSON.parse(res.body);
      expect(view.machine, key).toMatchObject({ ok: false, code });
      expect(view.machine.active.length, key).toBeLessThanOrEqual(2000);
      expect(Math.max(...view.machine.active.map((p: string) => p.split('.').length)), key).toBeLessThanOrEqual(64);
      expect(res.body.length, key).toBeLessThan(500_000);
    }
  });
});

describe('studio key list against many large generations', () => {
  it(`reads and decodes at most ${ROW_READS} newest generations at once, whatever the page size`, async () => {
    const inner = memoryAdapter();
    for (let i = 0; i < 60; i++) {
      const bytes = envelope(1, payload({ value: 'idle', context: {} }));
      await inner.write(`big-${String(i).padStart(2, '0')}`, {
        seq: 1,
        epoch: 0,
        byteLength: bytes.length,
        createdAt: 1,
        bytes,
      });
    }
    let running = 0;
    let most = 0;
    // Each read stays open a moment, as a 64 MiB generation would.
    const adapter: CheckpointAdapter = {
      ...inner,
      async read(key, seq) {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return inner.read(key, seq);
      },
    };
    const index = new KeyIndex({ adapter, codecs: [taggedJsonCodec], now: () => 0 });
    const page = await index.page({ offset: 0, limit: MAX_PAGE, search: 'big-' });
    expect(page.rows.map((r) => r.key)).toEqual(
      Array.from({ length: 60 }, (_, i) => `big-${String(i).padStart(2, '0')}`),
    );
    expect(page.rows.every((r) => r.newest?.state === 'idle')).toBe(true);
    expect(most).toBe(ROW_READS);
  });
});
