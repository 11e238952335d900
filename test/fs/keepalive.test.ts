import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpileTree } from '../journal/kill-build.js';

// Issue 12: a pending write the app waits for keeps the process alive until it is durable
// or failed with a typed error. The server adapters had an unref()'d retry sleep; the
// local ones have none (the fs adapter has no timers; the journal writer's retry timer
// is a plain one). This guards that: the child's only pending work is a failed append.

let work = '';
let entry = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'xsc-keepalive-'));
  entry = await transpileTree('test/fs/keepalive-child.ts', join(work, 'build'));
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('a pending local write keeps the process alive', () => {
  it('the file journal retries a failed append before the process may exit', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [entry, join(work, 'store')], { timeout: 30_000 });
    expect(stdout.trim()).toBe('durable 1');
  }, 40_000);
});
