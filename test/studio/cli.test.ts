import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { storeLabel } from '../../cli/studio.js';
import { buildCli, runNode } from '../cli/harness.js';
import { buildPage, populate, removeDir, workDir, writeMachine } from './fixture.js';

let cli: Awaited<ReturnType<typeof buildCli>>;
let work: string;
let store: string;
let machinePath: string;

beforeAll(async () => {
  cli = await buildCli();
  // Beside the bundled bin, as in the installed package (dist/cli.js and dist/studio/).
  await buildPage(join(cli.dir, 'studio'));
  work = await workDir();
  const written = await writeMachine(work);
  machinePath = written.path;
  store = join(work, 'state');
  await mkdir(store);
  const adapter = await populate(store, written.machine);
  await adapter.dispose();
}, 120_000);
afterAll(async () => {
  await cli?.remove();
  if (work) await removeDir(work);
});

/** Starts `xstate-checkpoint studio ...`, waits for the URL line, and returns it with a stop function. */
async function startCli(
  args: string[],
): Promise<{ url: string; stop(): Promise<{ code: number | null; stdout: string }> }> {
  const child = spawn(process.execPath, [cli.entry, 'studio', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) =>
      reject(new Error(`studio exited (${code}) before printing its URL: ${stdout}${stderr}`)),
    );
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGINT');
      return { code: await exited, stdout };
    },
  };
}

it('`studio --dir` prints the URL with the token, serves the page and the API, and stops on Ctrl-C with exit 0', async () => {
  const studio = await startCli(['--dir', store, '--machine', machinePath]);
  const page = await fetch(studio.url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('checkpoint studio');
  const info = (await (await fetch(`${studio.url}api/info`)).json()) as Record<string, unknown>;
  expect(info).toMatchObject({ store, adapter: 'fs', write: false, machine: { id: 'order', version: 1 } });
  const refused = await fetch(`${studio.url}api/rollback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: 'order-1', seq: 1, nextSeq: 6 }),
  });
  expect(refused.status).toBe(403);
  expect((await fetch(studio.url.replace(/\/[\w-]+\/$/, '/'))).status).toBe(401);
  const { code, stdout } = await studio.stop();
  expect(code).toBe(0);
  expect(stdout).toContain('read only (restart with --write');
});

it('`studio --write --port N` listens on that port with writes on', async () => {
  const probe = await startCli(['--dir', store]);
  const port = Number(new URL(probe.url).port);
  await probe.stop();
  const studio = await startCli(['--dir', store, '--write', '--port', String(port)]);
  expect(new URL(studio.url).port).toBe(String(port));
  expect(await (await fetch(`${studio.url}api/info`)).json()).toMatchObject({ write: true });
  expect((await studio.stop()).code).toBe(0);
});

it('`studio --help` describes it; bad options are usage errors', async () => {
  const help = await runNode(cli.entry, ['studio', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('xstate-checkpoint studio [--machine module] [--write] [--port n]');
  expect(help.stdout).toContain('--write');
  const bad = await runNode(cli.entry, ['studio', '--dir', store, '--port', 'x']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--port must be an integer');
  expect((await runNode(cli.entry, ['ls', '--dir', store, '--write'])).stderr).toContain(
    '--write is not an option of ls',
  );
});

it('`studio --port N` on a port in use says so and what to do, without a stack trace', async () => {
  const first = await startCli(['--dir', store]);
  const port = new URL(first.url).port;
  const second = await runNode(cli.entry, ['studio', '--dir', store, '--port', port]);
  await first.stop();
  expect(second.code).not.toBe(0);
  expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
  expect(second.stderr).toContain('--port');
  expect(second.stderr).not.toMatch(/unexpected failure|at Server\./);
});

it('the store label of a --url hides the password, in the user part and in query parameters', () => {
  expect(storeLabel(undefined, 'postgres://app:pw@127.0.0.1/test?sslpassword=x&application_name=a')).toBe(
    'postgres://app:***@127.0.0.1/test?sslpassword=***&application_name=a',
  );
  expect(storeLabel(undefined, 'redis://127.0.0.1:6379/0?password=s3cret')).toBe(
    'redis://127.0.0.1:6379/0?password=***',
  );
  expect(storeLabel('./state', undefined)).toBe('./state');
  expect(storeLabel(undefined, 'not a url')).toBe('store');
});
