import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres, describeRedis } from '../helpers/servers.js';
import { startTcpProxy, type TcpProxy } from './proxy.js';
import { pgTarget, pgUrl, redisUrl } from './support.js';

// Issue 12: the retry sleep was unref'd, so when every connection died during the last
// save of a batch job and nothing else was pending, Node exited 0 and flush() never
// settled. A child process restores through a relay, the relay then refuses everything,
// the child saves: it must print a typed error (or `durable`) and exit non-zero on error.
const child = fileURLToPath(new URL('./fixtures/pending-write-child.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

async function lastSave(proxy: TcpProxy, env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout === 'ready\n') {
      // Every connection dies and no new one gets through, then the job saves.
      void proxy.pause().then(() => proc.stdin.end('go\n'));
    }
  });
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A child that hangs fails the test by its output, and is not left behind.
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

await describePostgres('postgres: a pending save keeps the process alive', 'pending', (env) => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const { host, port } = pgTarget();
    proxy = await startTcpProxy(host, port);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('exits with the connection error printed, naming the server without its password', async () => {
    const url = new URL(pgUrl());
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    // Trust authentication ignores it; it must not appear in any message.
    url.password = 's3cret-pw';
    const result = await lastSave(proxy, { XSC_STORE: 'postgres', XSC_URL: url.toString(), XSC_SCHEMA: env.schema });
    expect(result.stdout).toMatch(/^ready\nerror connection /);
    expect(result.stdout).toContain(`127.0.0.1:${proxy.port}`);
    expect(result.stdout + result.stderr).not.toContain('s3cret-pw');
    expect(result.code).toBe(1);
  }, 60_000);
});

await describeRedis('redis: a pending save keeps the process alive', (env) => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const target = new URL(redisUrl());
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('exits with the connection error printed, naming the server', async () => {
    const url = new URL(redisUrl());
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const result = await lastSave(proxy, { XSC_STORE: 'redis', XSC_URL: url.toString(), XSC_PREFIX: env.prefix });
    expect(result.stdout).toMatch(/^ready\nerror connection /);
    expect(result.stdout).toContain(`127.0.0.1:${proxy.port}`);
    expect(result.code).toBe(1);
  }, 60_000);
});
