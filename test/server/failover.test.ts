import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { postgresAdapter } from 'xstate-checkpoint/adapters/postgres';
import { pgConfig, pgUrl } from './support.js';
import { describePostgres } from '../helpers/servers.js';

const TTL = 1500;
const worker = fileURLToPath(new URL('./fixtures/failover-worker.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Worker {
  name: string;
  child: ChildProcess;
  lines: string[];
  send(line: string): void;
}

await describePostgres('postgres: failover between worker processes', 'failover', (env) => {
  const workers: Worker[] = [];
  const acks = new Map<string, Set<string>>();
  const waiters = new Set<() => void>();

  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
      }
    }
  });

  const start = (name: string, keys: string[]): Worker => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker], {
      cwd: root,
      env: {
        ...process.env,
        XSC_WORKER: name,
        XSC_KEYS: keys.join(','),
        XSC_TTL: String(TTL),
        XSC_PG_URL: pgUrl(),
        XSC_SCHEMA: env.schema,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const w: Worker = { name, child, lines: [], send: (line) => child.stdin.write(`${line}\n`) };
    createInterface({ input: child.stdout }).on('line', (line) => {
      w.lines.push(line);
      const [kind, key, event] = line.split(' ');
      if (kind === 'ack' && key && event) {
        if (!acks.has(key)) acks.set(key, new Set());
        acks.get(key)!.add(event);
      }
      for (const wake of waiters) wake();
    });
    workers.push(w);
    return w;
  };

  const until = (what: string, check: () => boolean, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const wake = () => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      waiters.add(wake);
    });

  const acked = (key: string, by?: string) =>
    [...(acks.get(key) ?? [])].filter((e) => by === undefined || e.startsWith(`${by}:`)).length;
  const said = (w: Worker, line: string) => w.lines.some((l) => l === line || l.startsWith(`${line} `));

  it('kill -9 and a paused owner: 0 acknowledged events lost, late writes fenced', { timeout: 90_000 }, async () => {
    const keys = { a: ['a1', 'a2'], b: ['b1', 'b2'], c: ['c1', 'c2'] };
    const a = start('A', keys.a);
    const b = start('B', keys.b);
    const c = start('C', keys.c);
    await until('all workers ready', () => [a, b, c].every((w) => said(w, 'ready')), 30_000);
    await until('acks on every key', () =>
      Object.values(keys)
        .flat()
        .every((k) => acked(k) >= 5),
    );

    // A dies without releasing anything; B takes its keys once the leases expire.
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    const lostOwnerAcks = new Map(keys.a.map((k) => [k, acked(k, 'A')]));
    b.send(`takeover ${keys.a.join(',')}`);
    await until('B owns A keys and acks on them', () =>
      keys.a.every((k) => said(b, `owned ${k}`) && acked(k, 'B') >= 3),
    );
    for (const k of keys.a) {
      const restored = Number(b.lines.find((l) => l.startsWith(`owned ${k} `))!.split(' ')[3]);
      // Restored from the last acknowledged generation (or a later unacknowledged one), never an older one.
      expect(restored).toBeGreaterThanOrEqual(lostOwnerAcks.get(k)!);
    }

    // C freezes (a GC pause, a stalled VM). After expiry B takes its keys but holds
    // off writing, so C's next sequence number is still free: only the epoch can refuse it.
    c.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    await new Promise((r) => setTimeout(r, TTL + 300));
    b.send(`takeover ${keys.c.join(',')} hold`);
    await until('B owns C keys', () => keys.c.every((k) => said(b, `owned ${k}`)));
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(TTL);
    const cAcksBeforeWake = new Map(keys.c.map((k) => [k, acked(k, 'C')]));
    c.child.kill('SIGCONT');
    await until('C is fenced on both keys', () => keys.c.every((k) => said(c, `fenced ${k}`)));
    for (const k of keys.c) {
      const [, , , restored, seq] = b.lines.find((l) => l.startsWith(`owned ${k} `))!.split(' ');
      // A write C had in flight when frozen may still have landed before the takeover; nothing after.
      expect(acked(k, 'C')).toBeLessThanOrEqual(Math.max(Number(restored), cAcksBeforeWake.get(k)!));
      const newest = (
        await env.admin.query<{ seq: string }>(
          `SELECT max(seq) AS seq FROM "${env.schema}".xstate_checkpoints WHERE key = $1`,
          [k],
        )
      ).rows[0]!;
      expect(Number(newest.seq), `no generation of ${k} published by C after the takeover`).toBe(Number(seq));
    }
    b.send(`resume ${keys.c.join(',')}`);
    await until('B acks on C keys', () => keys.c.every((k) => acked(k, 'B') >= 3));

    for (const w of [b, c]) w.send('stop');
    await until('B and C stopped', () => said(b, 'stopped') && said(c, 'stopped'));

    const reader = postgresAdapter({ poolConfig: { ...pgConfig(), max: 1 }, schema: env.schema });
    try {
      for (const key of Object.values(keys).flat()) {
        const generations = await reader.list(key);
        const newest = generations[0]!;
        const events = JSON.parse(
          new TextDecoder().decode(openEnvelope((await reader.read(key, newest.seq))!).payload),
        ) as string[];
        const missing = [...(acks.get(key) ?? [])].filter((e) => !events.includes(e));
        expect(missing, `acknowledged events of ${key} missing from its newest generation`).toEqual([]);
        // Fencing: once a newer owner wrote, no generation of an older epoch follows.
        const epochs = [...generations].reverse().map((g) => g.epoch);
        expect(epochs).toEqual([...epochs].sort((x, y) => x - y));
      }
      // No worker ever reported a conflict: leases kept owners apart; only C's late writes were refused.
      for (const w of [b, c]) expect(w.lines.filter((l) => l.startsWith('conflict'))).toEqual([]);
      expect(b.lines.filter((l) => l.startsWith('fenced'))).toEqual([]);
    } finally {
      await reader.dispose();
    }
  });
});
