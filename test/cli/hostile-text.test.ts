import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { fileAdapter } from 'xstate-checkpoint/adapters/fs';
import { printable } from '../../cli/output.js';
import { run } from '../../cli/run.js';

// Regression (redteam): keys and machine ids come from storage, and `ls` and
// `verify` printed them raw, so a key holding an escape sequence cleared or
// recoloured the operator's terminal, and a carriage return could overwrite a
// FAIL line with "ok".

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function runInProcess(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text: string) => ((stdout += text), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    stdin: (async function* () {})(),
    cwd,
    now: () => 0,
  });
  return { code, stdout, stderr };
}

describe('the CLI never prints stored text raw to a terminal', () => {
  it('printable escapes controls and bidi overrides, and keeps line feeds, tabs and other Unicode', () => {
    expect(printable('a\u001b[2Jb\rc\u0007d\u202ee\u0085')).toBe('a\\u001b[2Jb\\u000dc\\u0007d\\u202ee\\u0085');
    expect(printable('line\n\tnext ünï 😀')).toBe('line\n\tnext ünï 😀');
  });

  it('ls and verify show a key with an escape sequence and a carriage return escaped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'xsc-cli-hostile-'));
    dirs.push(dir);
    const adapter = fileAdapter({ dir });
    const key = 'order\u001b[2J\rok    spoofed';
    const p = await persistActor(createMachine({ id: 'm\u001b]0;title\u0007' }), { key, adapter, flushOnExit: false });
    await p.flush();
    await p.close();
    await adapter.dispose();
    for (const command of ['ls', 'verify']) {
      const { code, stdout } = await runInProcess([command, '--dir', dir], dir);
      expect(code, command).toBe(0);
      for (const c of ['\u001b', '\r', '\u0007']) expect(stdout.includes(c), command).toBe(false);
      expect(stdout, command).toContain('order\\u001b[2J\\u000dok    spoofed');
    }
  });
});
