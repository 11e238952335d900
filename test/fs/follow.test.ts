import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistActor, type CheckpointEvent } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';

// A hot standby on the file store: a second process follows the lock holder
// read-only (polling the folder) and becomes the writer when the holder dies.
const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
const writer = fileURLToPath(new URL('./follow-writer.ts', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

it('a follower process mirrors the writer process, and takes over with its last acknowledged state after SIGKILL', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'xsc-follow-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, 'standby'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  expect(await next()).toBe('ready writer');

  const events: CheckpointEvent[] = [];
  const follower = await persistActor(counter, {
    key: 'standby',
    adapter: fileAdapter({ dir }),
    lock: true,
    follow: { pollMs: 50 },
    flushOnExit: false,
    onEvent: (e) => events.push(e),
  });
  expect(follower.role).toBe('follower');

  let acked = { count: 0, seq: 0 };
  for (let i = 0; i < 5; i++) {
    child.stdin.write('inc\n');
    const [, count, seq] = (await next()).split(' ');
    acked = { count: Number(count), seq: Number(seq) };
  }
  await expect.poll(() => follower.actor.getSnapshot().context.count, { timeout: 5_000 }).toBe(5);
  expect(follower.role).toBe('follower');

  const killedAt = Date.now();
  child.kill('SIGKILL');
  await exited;
  await expect.poll(() => follower.role, { timeout: 15_000, interval: 20 }).toBe('writer');
  const tookOverMs = Date.now() - killedAt;
  expect(follower.actor.getSnapshot().context.count).toBe(acked.count);
  expect(follower.restored).toMatchObject({ source: 'checkpoint', seq: acked.seq });
  follower.actor.send({ type: 'INC' });
  const info = await follower.flush();
  expect(info?.seq).toBe(acked.seq + 1);
  const [newest, previous] = await fileAdapter({ dir }).list('standby');
  expect(newest!.epoch).toBeGreaterThan(previous!.epoch);
  expect(events.map((e) => e.type).filter((t) => t === 'promote')).toEqual(['promote']);
  console.log(`fs follow: the standby mirrored 5 acknowledged writes and took over ${tookOverMs} ms after SIGKILL`);
  await follower.close();
}, 60_000);
