import http from 'node:http';
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import type { CheckpointAdapter } from 'xstate-checkpoint';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { loadMachineModule, type MachineModule } from '../../cli/machine.js';
import { run } from '../../cli/run.js';
import { taggedJsonCodec } from '../../src/codec/index.js';
import { KeyIndex } from '../../studio/keys.js';
import { startStudio, type Studio } from '../../studio/server.js';
import { buildPage, cloneKeys, populate, removeDir, workDir, writeMachine } from './fixture.js';
import { request } from './http.js';

// Answers are checked field by field with toMatchObject; their static shape is the server's business.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock = {
  now: () => NOW,
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (t: unknown) => clearTimeout(t as NodeJS.Timeout),
};

let work: string;
let assets: string;
let machinePath: string;
let machine: AnyStateMachine;
let module: MachineModule;
const open: Array<{ close(): Promise<unknown> }> = [];

beforeAll(async () => {
  work = await workDir();
  assets = await buildPage(join(work, 'page'));
  ({ path: machinePath, machine } = await writeMachine(work));
  module = await loadMachineModule(machinePath, work);
}, 60_000);
afterAll(async () => {
  for (const o of open.reverse()) await o.close().catch(() => undefined);
  if (work) await removeDir(work);
});

async function store(name: string): Promise<{ dir: string; adapter: CheckpointAdapter }> {
  const dir = join(work, name);
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  const adapter = await populate(dir, machine, NOW - 3_600_000);
  open.push({ close: () => adapter.dispose() });
  return { dir, adapter };
}

async function studio(
  adapter: CheckpointAdapter,
  options: { write?: boolean; machine?: boolean } = {},
): Promise<Studio> {
  const s = await startStudio({
    adapter,
    assetsDir: assets,
    clock,
    pollMs: 50,
    keysPollMs: 100,
    write: options.write ?? false,
    cwd: work,
    ...(options.machine ? { machine: module, machinePath } : {}),
  });
  open.push(s);
  return s;
}

const api = async <T>(s: Studio, path: string) => {
  const res = await request(s.port, `/${s.token}/api/${path}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
};
const postJson = (s: Studio, path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(s.port, `/${s.token}/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('studio security', () => {
  let s: Studio;
  beforeAll(async () => {
    s = await studio((await store('security')).adapter);
  });

  it('listens on 127.0.0.1 only, with a 43-character random token in the URL', () => {
    expect(s.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${s.port}/[A-Za-z0-9_-]{43}/$`));
  });

  it('refuses every path without the token (401), with a wrong one, and with a prefix of it', async () => {
    for (const path of [
      '/',
      '/api/keys',
      '/index.html',
      `/${s.token.slice(0, -1)}/api/keys`,
      `/${s.token}x/api/keys`,
      `/x${s.token}/`,
      '/api/events',
    ]) {
      const res = await request(s.port, path);
      expect(res.status, path).toBe(401);
      expect(JSON.parse(res.body).error.code).toBe('no-token');
    }
    expect((await request(s.port, `/${s.token}/api/keys`)).status).toBe(200);
  });

  it('refuses another Host header (DNS rebinding) even with the token', async () => {
    for (const host of [
      'evil.example:' + s.port,
      `127.0.0.1:${s.port + 1}`,
      '127.0.0.1',
      `attacker.127.0.0.1.nip.io:${s.port}`,
    ]) {
      const res = await request(s.port, `/${s.token}/api/keys`, { headers: { host } });
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('bad-host');
    }
    expect((await request(s.port, `/${s.token}/api/keys`, { headers: { host: `localhost:${s.port}` } })).status).toBe(
      200,
    );
  });

  it('refuses writes when started without --write, and leaves the store as it was', async () => {
    const before = await api<{ generations: unknown[] }>(s, 'key?key=order-1');
    for (const path of ['rollback', 'rollback/preview', 'quarantine-restore', 'quarantine-restore/preview']) {
      const res = await postJson(s, path, { key: 'order-1', seq: 1, nextSeq: 6 });
      expect(res.status, path).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('read-only');
    }
    expect(await api(s, 'key?key=order-1')).toEqual(before);
    expect((await request(s.port, `/${s.token}/api/keys`, { method: 'DELETE' })).status).toBe(405);
  });

  it('sends no CORS headers, even to a request with an Origin', async () => {
    const res = await request(s.port, `/${s.token}/api/keys`, { headers: { origin: 'https://evil.example' } });
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    const preflight = await request(s.port, `/${s.token}/api/rollback`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(preflight.status).toBe(405);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('with --write, still refuses a write from another Origin or without a JSON body', async () => {
    const w = await studio((await store('security-write')).adapter, { write: true });
    const other = await postJson(w, 'rollback/preview', { key: 'order-1', seq: 1 }, { origin: 'https://evil.example' });
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body).error.code).toBe('bad-origin');
    const form = await request(w.port, `/${w.token}/api/rollback/preview`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(form.status).toBe(400);
    const same = await postJson(
      w,
      'rollback/preview',
      { key: 'order-1', seq: 1 },
      { origin: `http://127.0.0.1:${w.port}` },
    );
    expect(same.status).toBe(200);
  });

  it('serves the built page under the token, and nothing outside its folder', async () => {
    const page = await request(s.port, `/${s.token}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('checkpoint studio');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    expect((await request(s.port, `/${s.token}/${script}`)).headers['content-type']).toContain('javascript');
    expect((await request(s.port, `/${s.token}/../../package.json`)).status).not.toBe(200);
    expect((await request(s.port, `/${s.token}/%2e%2e/%2e%2e/package.json`)).status).not.toBe(200);
    expect((await request(s.port, `/${s.token}/assets/..%2f..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await request(s.port, `/${s.token}`)).status).toBe(308);
  });
});

describe('studio API', () => {
  let s: Studio;
  beforeAll(async () => {
    s = await studio((await store('api')).adapter, { machine: true });
  });

  it('keys: one page with each key’s newest generation, state value, size and quarantine mark', async () => {
    const page = await api<{ total: number; rows: Array<Record<string, Any>> }>(s, 'keys?limit=2');
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => r.key)).toEqual(['order-1', 'order-2']);
    expect(page.rows[0]).toMatchObject({
      key: 'order-1',
      generations: 5,
      quarantined: 0,
      newest: { seq: 5, state: 'checkout.payment' },
    });
    expect(page.rows[0]!.newest.byteLength).toBeGreaterThan(0);
    const third = await api<{ rows: Array<Record<string, Any>> }>(s, 'keys?offset=2&limit=2');
    expect(third.rows).toMatchObject([
      { key: 'order-3', generations: 1, quarantined: 1, newest: { seq: 1, state: 'cart' } },
    ]);
    expect((await api<{ total: number }>(s, 'keys?q=ORDER-2')).total).toBe(1);
  });

  it('key: generations newest first, quarantined ones apart with their reason', async () => {
    const k = await api<{ generations: Array<{ seq: number }>; quarantined: Array<{ seq: number; reason: string }> }>(
      s,
      'key?key=order-3',
    );
    expect(k.generations.map((g) => g.seq)).toEqual([1]);
    expect(k.quarantined).toMatchObject([{ seq: 2, reason: expect.stringContaining('validation') }]);
    expect((await request(s.port, `/${s.token}/api/key?key=nope`)).status).toBe(404);
  });

  it('quarantined: a generation whose bytes still decode shows its contents; unknown ids are 404', async () => {
    const k = await api<{ quarantined: Array<{ id: string; seq: number }> }>(s, 'key?key=order-3');
    const id = k.quarantined[0]!.id;
    const q = await api<Record<string, Any>>(s, `quarantined?key=order-3&id=${encodeURIComponent(id)}`);
    expect(q).toMatchObject({ key: 'order-3', info: { id, seq: 2 }, generation: { seq: 2, state: 'cart' } });
    expect(q.problem).toBeUndefined();
    expect((await request(s.port, `/${s.token}/api/quarantined?key=order-3&id=nope`)).status).toBe(404);
    expect((await request(s.port, `/${s.token}/api/quarantined?key=order-3`)).status).toBe(400);
  });

  it('quarantined: damaged bytes show why they do not decode and a bounded preview of the bytes', async () => {
    const { adapter } = await store('quarantined-damaged');
    const garbage = new TextEncoder().encode(`<img src=x onerror=alert(1)>${'x'.repeat(5000)}`);
    await adapter.write('order-9', { seq: 1, epoch: 0, createdAt: NOW, byteLength: garbage.length, bytes: garbage });
    const info = await adapter.quarantine('order-9', 1, 'corrupt: test');
    const own = await studio(adapter);
    const q = await api<Record<string, Any>>(own, `quarantined?key=order-9&id=${encodeURIComponent(info.id)}`);
    expect(q.generation).toBeUndefined();
    expect(q.problem.code).toBe('corrupt');
    expect(q.byteLength).toBe(garbage.length);
    expect(q.text).toBe(new TextDecoder().decode(garbage.subarray(0, 2048)));
    expect(q.hex.split(' ')).toHaveLength(64);
    expect(q.hex.startsWith('3c 69 6d 67')).toBe(true); // "<img"
  });

  it('generation: state, context with rich values typed, timers with time left, machine verdict and active states', async () => {
    const g = await api<Record<string, Any>>(s, 'generation?key=order-1&seq=5');
    expect(g.state).toBe('checkout.payment');
    const context = Object.fromEntries(g.context.entries);
    expect(context.count).toEqual({ t: 'number', v: '3' });
    expect(context.placedAt).toEqual({ t: 'date', iso: '2026-01-02T03:04:05.000Z' });
    expect(context.prices).toMatchObject({
      t: 'map',
      size: 4,
      entries: expect.arrayContaining([
        [
          { t: 'string', v: 'tea' },
          { t: 'number', v: '3' },
        ],
      ]),
    });
    expect(context.tags).toMatchObject({ t: 'set', size: 1 });
    expect(g.timers).toHaveLength(1);
    expect(g.timers[0]).toMatchObject({ event: expect.stringContaining('xstate.after'), target: '(root)' });
    expect(g.timers[0].leftMs).toBe(g.timers[0].deadline - NOW);
    expect(g.machine).toMatchObject({ ok: true, active: ['checkout', 'checkout.payment'] });
    expect(g.header).toMatchObject({ seq: 5, machine: 'order', version: 1 });
  });

  it('diff: the paths the CLI diff lists, with values as trees', async () => {
    const d = await api<{ changes: Array<{ path: string; kind: string }> }>(s, 'diff?key=order-1&a=1&b=5');
    const paths = d.changes.map((c) => `${c.kind} ${c.path}`);
    expect(paths).toContain('changed value');
    expect(paths).toContain('changed context.count');
    expect(paths).toContain('added context.prices.get("item1")');
    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: () => true },
      stdin: [],
      cwd: work,
      now: () => NOW,
    };
    expect(await run(['diff', 'order-1', '1', '5', '--dir', join(work, 'api'), '--json'], io as never)).toBe(0);
    const cli = JSON.parse(out.join('')) as { changes: Array<{ path: string }> };
    expect(d.changes.map((c) => c.path)).toEqual(cli.changes.map((c) => c.path.replace(/^snapshot\./, '')));
  });

  it('machine: the states as nested boxes', async () => {
    const m = await api<{
      root: { children: Array<{ key: string; path: string; children: Array<{ path: string; after: string[] }> }> };
    }>(s, 'machine');
    expect(m.root.children.map((c) => c.key)).toEqual(['cart', 'checkout']);
    expect(m.root.children[1]!.children.map((c) => c.path)).toEqual([
      'checkout.payment',
      'checkout.shipping',
      'checkout.expired',
    ]);
    expect(m.root.children[1]!.children[0]!.after).toEqual(['3600000']);
  });

  it('bad requests are 400 with a message, bad stored bytes a typed error', async () => {
    expect((await request(s.port, `/${s.token}/api/generation?key=order-1&seq=abc`)).status).toBe(400);
    expect((await request(s.port, `/${s.token}/api/generation?key=order-1&seq=99`)).status).toBe(404);
    const file = join(work, 'api', keyFolderName('order-2'), `${'1'.padStart(16, '0')}.gen`);
    const bytes = await readFile(file);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
    await import('node:fs/promises').then((fs) => fs.writeFile(file, bytes));
    const res = await request(s.port, `/${s.token}/api/generation?key=order-2&seq=1`);
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'corrupt', key: 'order-2' });
  });
});

describe('studio write actions', () => {
  it('rollback writes exactly what `xstate-checkpoint rollback` writes, after a preview saying so', async () => {
    const { dir, adapter } = await store('rollback');
    const twin = join(work, 'rollback-cli');
    await cp(dir, twin, { recursive: true });
    const s = await studio(adapter, { write: true, machine: true });
    const preview = await postJson(s, 'rollback/preview', { key: 'order-1', seq: 2 });
    expect(JSON.parse(preview.body)).toMatchObject({ allowed: true, nextSeq: 6, text: expect.stringContaining('#2') });
    const done = await postJson(s, 'rollback', { key: 'order-1', seq: 2, nextSeq: 6 });
    expect(done.status).toBe(200);
    const result = JSON.parse(done.body);

    const out: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: () => true },
      stdin: [],
      cwd: work,
      now: () => NOW,
    };
    expect(
      await run(['rollback', 'order-1', '2', '--dir', twin, '--machine', machinePath, '--json'], io as never),
    ).toBe(0);
    expect(result).toEqual(JSON.parse(out.join('')));
    const gen6 = (d: string) => readFile(join(d, keyFolderName('order-1'), `${'6'.padStart(16, '0')}.gen`));
    expect(Buffer.compare(await gen6(dir), await gen6(twin))).toBe(0);

    // A confirmation of a preview the store has moved on from writes nothing.
    const stale = await postJson(s, 'rollback', { key: 'order-1', seq: 2, nextSeq: 6 });
    expect(stale.status).toBe(409);
    expect((await readdir(join(dir, keyFolderName('order-1')))).filter((f) => f.endsWith('.gen'))).toHaveLength(6);
  });

  it('rollback refuses a generation the machine would not restore, as the CLI does', async () => {
    const { dir, adapter } = await store('rollback-refused');
    // Another machine id: `machine-mismatch` for every generation.
    const other = await import('node:fs/promises').then(async (fs) => {
      const path = join(work, 'other.mjs');
      await fs.writeFile(
        path,
        "import { createMachine } from 'xstate';\nexport const machine = createMachine({ id: 'other' });\n",
      );
      return path;
    });
    const s = await startStudio({
      adapter,
      assetsDir: assets,
      clock,
      write: true,
      cwd: work,
      machine: await loadMachineModule(other, work),
      machinePath: other,
    });
    open.push(s);
    const preview = JSON.parse((await postJson(s, 'rollback/preview', { key: 'order-1', seq: 2 })).body);
    expect(preview).toMatchObject({ allowed: false, text: expect.stringContaining('machine-mismatch') });
    const res = await postJson(s, 'rollback', { key: 'order-1', seq: 2, nextSeq: preview.nextSeq });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body).error.code).toBe('machine-mismatch');
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, stdin: [], cwd: work, now: () => NOW };
    expect(await run(['rollback', 'order-1', '2', '--dir', dir, '--machine', other], io as never)).toBe(1);
    expect((await adapter.list('order-1')).map((g) => g.seq)).toEqual([5, 4, 3, 2, 1]);
  });

  it('quarantine restore copies the quarantined generation back as the next one', async () => {
    const { adapter } = await store('restore');
    const s = await studio(adapter, { write: true });
    const [q] = await adapter.listQuarantine('order-3');
    const preview = JSON.parse((await postJson(s, 'quarantine-restore/preview', { key: 'order-3', id: q!.id })).body);
    expect(preview).toMatchObject({
      allowed: true,
      nextSeq: 3,
      text: expect.stringContaining('quarantined generation #2'),
    });
    const res = await postJson(s, 'quarantine-restore', { key: 'order-3', id: q!.id, nextSeq: 3 });
    expect(JSON.parse(res.body)).toMatchObject({ key: 'order-3', from: 2, seq: 3 });
    expect((await adapter.list('order-3')).map((g) => g.seq)).toEqual([3, 1]);
  });
});

describe('studio live updates', () => {
  it('a new generation of the open key arrives on the event stream', async () => {
    const { adapter } = await store('live');
    const s = await studio(adapter);
    const events: string[] = [];
    const got = new Promise<void>((resolve, reject) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: s.port,
          path: `/${s.token}/api/events?key=order-2`,
          headers: { host: `127.0.0.1:${s.port}` },
        },
        (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          res.setEncoding('utf8').on('data', (chunk: string) => {
            events.push(chunk);
            if (events.join('').includes('event: ready')) void publish();
            if (events.join('').includes('event: generation')) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', (e) => (events.join('').includes('generation') ? resolve() : reject(e)));
    });
    let published = false;
    const publish = async () => {
      if (published) return;
      published = true;
      const p = await import('xstate-checkpoint').then(({ persistActor }) =>
        persistActor(machine, { key: 'order-2', adapter, flushOnExit: false }),
      );
      p.actor.send({ type: 'ADD' });
      await p.flush();
      await p.close();
    };
    await got;
    expect(events.join('')).toMatch(/event: generation\ndata: \{"key":"order-2","seq":[2-9]\}/);
  });
});

describe('studio with 10,000 keys', () => {
  it('pages the key list (time printed, not asserted)', async () => {
    const dir = join(work, 'large');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir);
    const adapter = fileAdapter({ dir });
    open.push({ close: () => adapter.dispose() });
    const p = await import('xstate-checkpoint').then(({ persistActor }) =>
      persistActor(machine, { key: 'seed', adapter, flushOnExit: false }),
    );
    await p.flush();
    await p.close();
    await cloneKeys(dir, 'seed', 10_000);
    const s = await studio(adapter);
    const timed = async (path: string) => {
      const t0 = performance.now();
      const page = await api<{ total: number; rows: Array<{ key: string; newest?: { state?: string } }> }>(s, path);
      return { page, ms: performance.now() - t0 };
    };
    const cold = await timed('keys?limit=50');
    const warm = await timed('keys?offset=5000&limit=50');
    const search = await timed('keys?q=bulk-0999&limit=50');
    expect(cold.page.total).toBe(10_001);
    expect(cold.page.rows).toHaveLength(50);
    expect(cold.page.rows[0]).toMatchObject({ key: 'bulk-00000', newest: { state: 'cart' } });
    expect(warm.page.rows[0]!.key).toBe('bulk-05000');
    expect(search.page.total).toBe(10);
    // More cold rounds (every key listed again), interleaved with a baseline of the bare adapter.keys().
    const index = new KeyIndex({ adapter, codecs: [taggedJsonCodec], now: Date.now });
    const page: number[] = [];
    const bare: number[] = [];
    for (let round = 0; round < 5; round++) {
      let t0 = performance.now();
      await adapter.keys();
      bare.push(performance.now() - t0);
      index.invalidate();
      t0 = performance.now();
      await index.page({ offset: 0, limit: 50, search: '' });
      page.push(performance.now() - t0);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `studio key list, 10,001 keys (fs adapter): first page over HTTP ${cold.ms.toFixed(0)} ms, page at 5,000 ${warm.ms.toFixed(0)} ms, ` +
        `search ${search.ms.toFixed(0)} ms; cold first page median ${median(page).toFixed(0)} ms over 5 rounds, ` +
        `${(median(page) / median(bare)).toFixed(2)}x the bare adapter.keys() listing (${median(bare).toFixed(0)} ms)`,
    );
  }, 120_000);
});
