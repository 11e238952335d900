import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { repoRoot } from './install.js';

const run = promisify(execFile);

it('npm run docs:api builds the API reference from TSDoc without errors', async () => {
  const out = await mkdtemp(join(tmpdir(), 'xsc-api-'));
  try {
    // The same configuration as `npm run docs:api`, into a private folder.
    const { stdout, stderr } = await run(
      process.execPath,
      [join(repoRoot, 'node_modules/typedoc/bin/typedoc'), '--out', out, '--logLevel', 'Warn'],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 },
    );
    const log = `${stdout}${stderr}`;
    const warnings = log.split('\n').filter((line) => line.includes('[warning]'));
    if (warnings.length > 0) console.log(`typedoc warnings:\n${warnings.join('\n')}`);
    expect(log).not.toContain('[error]');
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { exports: object };
    const index = await readFile(join(out, 'index.html'), 'utf8');
    // One module page per public entry (named after its source file).
    const modules = Object.keys(pkg.exports).filter((s) => s !== './package.json');
    expect(index.match(/href="modules\/[^"]+\.html"/g)?.length).toBe(modules.length);
    expect(index).toContain('href="modules/adapters_channel.html"');
    const core = await readFile(join(out, 'functions', 'src.persistActor.html'), 'utf8');
    expect(core).toContain('Restores an actor from its newest valid checkpoint');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}, 180_000);
