import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign, createMachine, type AnyStateMachine } from 'xstate';
import { persistActor, type CheckpointAdapter } from 'xstate-checkpoint';
import { openEnvelope } from 'xstate-checkpoint/adapter-kit';
import { fileAdapter, keyFolderName } from 'xstate-checkpoint/adapters/fs';
import { expectBytes } from '../conformance/suite.js';
import { printable } from '../../cli/output.js';
import { commands, run } from '../../cli/run.js';
import { describePostgres } from '../helpers/servers.js';
import { pgUrl } from '../server/support.js';
import { buildCli, machineModule, repoRoot } from './harness.js';

let cli: Awaited<ReturnType<typeof buildCli>>;
let machine: AnyStateMachine;
let machinePath: string;
const dirs: string[] = [];

beforeAll(async () => {
  cli = await buildCli();
  machinePath = await cli.file('machine.mjs', machineModule());
  machine = ((await import(pathToFileURL(machinePath).href)) as { machine: AnyStateMachine }).machine;
}, 60_000);
afterAll(async () => {
  await cli?.remove();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'xsc-cli-'));
  dirs.push(dir);
  return dir;
}

/** A store with `order-1` (counted to 3, then busy with a pending timer) and `order-2` (counted to 1). */
async function populate(dir: string): Promise<CheckpointAdapter> {
  const adapter = fileAdapter({ dir });
  for (const [key, incs, go] of [
    ['order-1', 3, true],
    ['order-2', 1, false],
  ] as const) {
    const p = await persistActor(machine, { key, adapter, flushOnExit: false, retain: { latest: 10 } });
    await p.flush();
    for (let i = 0; i < incs; i++) {
      p.actor.send({ type: 'INC' });
      await p.flush();
    }
    if (go) {
      p.actor.send({ type: 'GO' });
      await p.flush();
    }
    await p.close();
  }
  return adapter;
}

const genFile = (dir: string, key: string, seq: number) =>
  join(dir, keyFolderName(key), `${String(seq).padStart(16, '0')}.gen`);

/** Flips the last byte of a stored generation (inside the payload, so its CRC-32 no longer matches). */
async function corrupt(dir: string, key: string, seq: number): Promise<void> {
  const path = genFile(dir, key, seq);
  const bytes = await readFile(path);
  bytes[bytes.length - 1]! ^= 0xff;
  await writeFile(path, bytes);
}

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

/** Runs the CLI's `run()` in this process with captured output and a clock that advances 100 ms per read. */
async function runInProcess(args: string[], cwd: string, isTTY = false) {
  let stdout = '';
  let stderr = '';
  let t = 0;
  const code = await run(args, {
    stdout: { write: (text: string) => ((stdout += text), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (text: string) => (stderr += text), isTTY },
    stdin: (async function* () {})(),
    cwd,
    now: () => (t += 100),
  });
  return { code, stdout, stderr };
}

describe('xstate-checkpoint CLI', () => {
  let dir: string;
  let adapter: CheckpointAdapter;
  beforeAll(async () => {
    dir = await tempDir();
    adapter = await populate(dir);
  }, 60_000);
  afterAll(async () => {
    await adapter.dispose();
  });

  it('ls: keys and generations, newest first (text and --json)', async () => {
    const text = await cli.run(['ls', '--dir', dir]);
    expect(text.code).toBe(0);
    const gens1 = await adapter.list('order-1');
    expect(text.stdout).toContain(`order-1  (${gens1.length} generations)`);
    expect(text.stdout).toContain(`#${gens1[0]!.seq}  `);
    const out = await cli.run(['ls', '--dir', dir, '--json']);
    expect(out.code).toBe(0);
    const listed = json<{ keys: Array<{ key: string; generations: unknown[]; quarantined: number }> }>(out.stdout);
    expect(listed.keys.map((k) => k.key)).toEqual(['order-1', 'order-2']);
    expect(listed.keys[0]!.generations).toEqual(gens1);
    expect(listed.keys[1]!.generations).toEqual(await adapter.list('order-2'));
    const missing = await cli.run(['ls', 'nope', '--dir', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such key: nope');
  });

  it('show: state value, context, timers and metadata of the newest or a given generation', async () => {
    const newest = await cli.run(['show', 'order-1', '--dir', dir]);
    expect(newest.code).toBe(0);
    expect(newest.stdout).toMatch(/order-1 generation #\d+ \(newest of \d+\)/);
    expect(newest.stdout).toContain('machine    counter, version 1');
    expect(newest.stdout).toContain('state      busy');
    expect(newest.stdout).toContain('count: 3');
    expect(newest.stdout).toContain("Set(1) { 'a' }");
    expect(newest.stdout).toMatch(/timers\s+xstate\.after\.60000\.counter\.busy → root at/);

    const first = (await adapter.list('order-1')).at(-1)!.seq;
    const out = await cli.run(['show', 'order-1', '--gen', String(first), '--dir', dir, '--json']);
    expect(out.code).toBe(0);
    const shown = json<{ seq: number; value: unknown; context: unknown; header: { machine: string }; timers: [] }>(
      out.stdout,
    );
    expect(shown.seq).toBe(first);
    expect(shown.value).toBe('idle');
    expect(shown.header.machine).toBe('counter');
    expect(shown.context).toEqual({
      count: 0,
      at: { $type: 'Date', iso: '1970-01-01T00:00:00.000Z' },
      tags: { $type: 'Set', values: ['a'] },
    });
    expect(shown.timers).toEqual([]);
    expect((await cli.run(['show', 'order-1', '--gen', '999', '--dir', dir])).code).toBe(1);
  });

  it('diff: what changed between two generations', async () => {
    const [newest, , , , oldest] = (await adapter.list('order-1')).map((g) => g.seq);
    const out = await cli.run(['diff', 'order-1', String(oldest), String(newest), '--dir', dir]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("~ value: 'idle' → 'busy'");
    expect(out.stdout).toContain('~ context.count: 0 → 3');
    expect(out.stdout).toMatch(/\+ timers\[0\]: /);
    const same = await cli.run(['diff', 'order-1', String(newest), String(newest), '--dir', dir, '--json']);
    expect(json<{ equal: boolean; changes: unknown[] }>(same.stdout)).toMatchObject({ equal: true, changes: [] });
  });

  it('diff prints Dates, Maps, Sets and BigInts as a person reads them', async () => {
    const own = await tempDir();
    const store = fileAdapter({ dir: own });
    const rich = createMachine({
      id: 'rich',
      context: {
        at: new Date('2024-05-01T10:00:00.000Z'),
        prices: new Map<string, bigint>([['tea', 3n]]),
        tags: new Set(['new']),
      },
      on: {
        EDIT: {
          actions: assign({
            at: () => new Date('2024-05-02T08:30:00.000Z'),
            prices: () =>
              new Map<string, bigint>([
                ['tea', 4n],
                ['cake', 12n],
              ]),
            tags: () => new Set(['new', 'paid']),
          }),
        },
      },
    });
    const p = await persistActor(rich, { key: 'r', adapter: store, flushOnExit: false });
    await p.flush();
    p.actor.send({ type: 'EDIT' });
    await p.flush();
    await p.close();
    const [to, from] = (await store.list('r')).map((g) => g.seq);
    await store.dispose();
    const text = await cli.run(['diff', 'r', String(from), String(to), '--dir', own]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toContain('$type');
    expect(text.stdout).toContain('~ context.at: 2024-05-01T10:00:00.000Z → 2024-05-02T08:30:00.000Z');
    expect(text.stdout).toContain('~ context.prices.get("tea"): 3n → 4n');
    expect(text.stdout).toContain('+ context.prices.get("cake"): 12n');
    expect(text.stdout).toContain("~ context.tags: Set(1) { 'new' } → Set(2) { 'new', 'paid' }");
    // --json keeps the typed form a program can read back.
    const out = json<{ changes: Array<{ path: string; from: unknown; to: unknown }> }>(
      (await cli.run(['diff', 'r', String(from), String(to), '--dir', own, '--json'])).stdout,
    );
    expect(out.changes.find((c) => c.path === 'snapshot.context.at')).toMatchObject({
      from: { $type: 'Date', iso: '2024-05-01T10:00:00.000Z' },
      to: { $type: 'Date', iso: '2024-05-02T08:30:00.000Z' },
    });
  });

  it('verify: exit 0 on a sound store; with --machine, migration and validation against the module', async () => {
    const ok = await cli.run(['verify', '--dir', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/2 keys, \d+ generations: \d+ ok, 0 problems/);

    const v2 = await cli.file('machine-v2.mjs', machineModule({ version: 2, migrations: '{ 1: (s) => s }' }));
    const migrated = await cli.run(['verify', '--machine', v2, '--dir', dir, '--json']);
    expect(migrated.code).toBe(0);
    const report = json<{ ok: boolean; results: Array<{ migrationsApplied: number[] }> }>(migrated.stdout);
    expect(report.ok).toBe(true);
    expect(report.results.every((r) => r.migrationsApplied.join() === '1')).toBe(true);

    const noStep = await cli.file('machine-v3.mjs', machineModule({ version: 3, migrations: '{ 1: (s) => s }' }));
    const missing = await cli.run(['verify', '--machine', noStep, '--dir', dir, '--json']);
    expect(missing.code).toBe(1);
    expect(json<{ problems: Array<{ code: string }> }>(missing.stdout).problems[0]!.code).toBe('migration-missing');

    const strict = await cli.file(
      'machine-strict.mjs',
      machineModule({
        schema: `{ '~standard': { version: 1, vendor: 'test', validate: (v) =>
          v.count < 3 ? { value: v } : { issues: [{ message: 'count must stay below 3', path: ['count'] }] } } }`,
      }),
    );
    const invalid = await cli.run(['verify', 'order-1', '--machine', strict, '--dir', dir]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toMatch(/FAIL {2}order-1 #\d+ {2}validation at context\.count: .*count must stay below 3/);

    const notAModule = await cli.run(['verify', '--machine', join(cli.dir, 'nope.mjs'), '--dir', dir]);
    expect(notAModule.code).toBe(2);
    expect(notAModule.stderr).toContain('cannot import --machine');
  });

  it('verify: exit 1 naming a corrupt generation; show reports it; prune keeps the newest valid one', async () => {
    const own = await tempDir();
    const store = await populate(own);
    const seqs = (await store.list('order-1')).map((g) => g.seq);
    await corrupt(own, 'order-1', seqs[0]!);

    const text = await cli.run(['verify', '--dir', own]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`FAIL  order-1 #${seqs[0]!}  corrupt: payload checksum mismatch`);
    expect(text.stdout).toContain('1 problem');
    const out = await cli.run(['verify', '--dir', own, '--json']);
    expect(out.code).toBe(1);
    expect(json<{ problems: unknown[] }>(out.stdout).problems).toEqual([
      { key: 'order-1', seq: seqs[0], code: 'corrupt', detail: 'corrupt: payload checksum mismatch' },
    ]);
    const shown = await cli.run(['show', 'order-1', '--dir', own]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain('payload checksum mismatch');
    // The CLI only read it: it says so, and the generation is where it was.
    expect(shown.stderr).not.toContain('was quarantined');
    expect(shown.stderr).toContain('Nothing was changed');
    expect(shown.stderr).toContain('`xstate-checkpoint verify order-1`');
    expect((await store.list('order-1')).map((g) => g.seq)).toEqual(seqs);
    expect(await store.listQuarantine('order-1')).toEqual([]);

    const dry = await cli.run(['prune', '--keep', '1', '--dry-run', '--dir', own, '--json']);
    expect(dry.code).toBe(0);
    const planned = json<{ keys: Array<{ key: string; removed: number[]; newestValid: number }> }>(dry.stdout).keys;
    expect(planned[0]).toMatchObject({ key: 'order-1', newestValid: seqs[1], removed: seqs.slice(2) });
    expect((await store.list('order-1')).map((g) => g.seq)).toEqual(seqs);

    const pruned = await cli.run(['prune', '--keep', '1', '--dir', own]);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(
      `order-1: removed ${seqs
        .slice(2)
        .map((s) => `#${s}`)
        .join(' ')}`,
    );
    expect((await store.list('order-1')).map((g) => g.seq)).toEqual(seqs.slice(0, 2));
    expect((await store.list('order-2')).length).toBe(1);
    await store.dispose();
  });

  it('quarantine ls | restore (a new generation, never an overwrite) | rm', async () => {
    const own = await tempDir();
    const store = await populate(own);
    const [newest, second] = await store.list('order-1');
    const q = await store.quarantine('order-1', second!.seq, 'validation: made up for the test');
    await corrupt(own, 'order-1', newest!.seq);
    const bad = await store.quarantine('order-1', newest!.seq, 'corrupt: flipped');

    const ls = await cli.run(['quarantine', 'ls', '--dir', own, '--json']);
    expect(ls.code).toBe(0);
    const listed = json<{ quarantined: Array<{ id: string; seq: number; reason: string }> }>(ls.stdout).quarantined;
    expect(listed.map((x) => x.id).sort()).toEqual([q.id, bad.id].sort());
    expect((await cli.run(['quarantine', 'ls', '--dir', own])).stdout).toContain('validation: made up for the test');

    const restored = await cli.run(['quarantine', 'restore', 'order-1', q.id, '--dir', own, '--json']);
    expect(restored.code).toBe(0);
    const { seq } = json<{ seq: number }>(restored.stdout);
    expect(seq).toBe(newest!.seq + 1);
    const before = openEnvelope((await store.readQuarantined('order-1', q.id))!);
    const after = openEnvelope((await store.read('order-1', seq))!);
    expectBytes(after.payload, before.payload);
    expect(after.header).toMatchObject({ seq, machine: before.header.machine, version: before.header.version });
    expect((await store.listQuarantine('order-1')).length).toBe(2);
    const verified = await cli.run(['verify', 'order-1', '--dir', own]);
    expect(verified.code).toBe(0);

    const refused = await cli.run(['quarantine', 'restore', 'order-1', bad.id, '--dir', own]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot be written back as it is');

    expect((await cli.run(['quarantine', 'rm', 'order-1', 'no-such-id', '--dir', own])).code).toBe(1);
    const removed = await cli.run(['quarantine', 'rm', 'order-1', bad.id, '--dir', own]);
    expect(removed.code).toBe(0);
    expect((await store.listQuarantine('order-1')).map((x) => x.id)).toEqual([q.id]);
    await store.dispose();
  });

  it('rollback: an older generation written again as the newest; refuses one that would not restore', async () => {
    const own = await tempDir();
    const store = await populate(own);
    const gens = (await store.list('order-1')).map((g) => g.seq);
    const oldest = gens.at(-1)!;
    const rolled = await cli.run(['rollback', 'order-1', String(oldest), '--dir', own, '--json']);
    expect(rolled.code).toBe(0);
    expect(json<{ from: number; seq: number }>(rolled.stdout)).toMatchObject({ from: oldest, seq: gens[0]! + 1 });
    expect((await store.list('order-1')).map((g) => g.seq)).toEqual([gens[0]! + 1, ...gens]);
    const shown = json<{ value: unknown; context: { count: number } }>(
      (await cli.run(['show', 'order-1', '--dir', own, '--json'])).stdout,
    );
    expect(shown.value).toBe('idle');
    expect(shown.context.count).toBe(0);
    await corrupt(own, 'order-1', gens[1]!);
    const damaged = await cli.run(['rollback', 'order-1', String(gens[1]!), '--dir', own]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain('cannot be written back as it is');
    const strict = await cli.file(
      'machine-strict-rollback.mjs',
      machineModule({
        schema: `{ '~standard': { version: 1, vendor: 'test', validate: (v) =>
          v.count < 3 ? { value: v } : { issues: [{ message: 'count must stay below 3', path: ['count'] }] } } }`,
      }),
    );
    const refused = await cli.run(['rollback', 'order-1', String(gens[0]!), '--machine', strict, '--dir', own]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('would not restore (validation');
    // The restored actor continues from it.
    const back = await persistActor(machine, { key: 'order-1', adapter: store, flushOnExit: false });
    expect(back.restored).toMatchObject({ source: 'checkpoint', seq: gens[0]! + 1 });
    expect(back.actor.getSnapshot().context.count).toBe(0);
    await back.close();

    await store.dispose();
  });

  it('export | import: a byte-for-byte copy between stores, quarantined generations included', async () => {
    const source = await tempDir();
    const store = await populate(source);
    const quarantined = await store.quarantine('order-2', (await store.list('order-2'))[1]!.seq, 'test: kept aside');
    const dumpFile = join(await tempDir(), 'dump.jsonl');
    const exported = await cli.run(['export', '--dir', source, '--out', dumpFile, '--json']);
    expect(exported.code).toBe(0);
    expect(json<{ quarantined: number }>(exported.stdout).quarantined).toBe(1);

    const target = await tempDir();
    const imported = await cli.run(['import', '--file', dumpFile, '--dir', target]);
    expect(imported.code).toBe(0);
    const copy = fileAdapter({ dir: target });
    for (const key of ['order-1', 'order-2']) {
      const gens = await store.list(key);
      expect(await copy.list(key)).toEqual(gens);
      for (const g of gens) expectBytes(await copy.read(key, g.seq), (await store.read(key, g.seq))!);
    }
    const [moved] = await copy.listQuarantine('order-2');
    expect(moved).toMatchObject({ seq: quarantined.seq, reason: 'test: kept aside' });
    expectBytes(
      await copy.readQuarantined('order-2', moved!.id),
      (await store.readQuarantined('order-2', quarantined.id))!,
    );

    // Through stdin and stdout as well.
    const piped = await cli.run(['export', 'order-2', '--dir', source]);
    expect(piped.code).toBe(0);
    const third = await tempDir();
    const fromStdin = await cli.run(['import', '--dir', third], { input: piped.stdout });
    expect(fromStdin.code).toBe(0);
    expect(await fileAdapter({ dir: third }).keys()).toEqual(['order-2']);

    // A second import collides with what is there: reported, exit 1, nothing overwritten.
    const again = await cli.run(['import', '--file', dumpFile, '--dir', target]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('order-1: conflict');
    await copy.dispose();
    await store.dispose();
  });

  it('import refuses a damaged or truncated dump before writing anything', async () => {
    const source = await tempDir();
    const store = await populate(source);
    const full = (await cli.run(['export', '--dir', source])).stdout;
    await store.dispose();
    const lines = full.trimEnd().split('\n');
    const truncated = lines.slice(0, -2).join('\n');
    const flipped = lines.map((l, i) =>
      i === 2 ? l.replace(/"bytes":"(.)/, (_, c: string) => `"bytes":"${c === 'A' ? 'B' : 'A'}`) : l,
    );
    for (const [input, message] of [
      [truncated, 'no end line'],
      [flipped.join('\n'), 'fails its CRC-32'],
      ['{"not":"a dump"}', 'no header line'],
    ] as const) {
      const target = await tempDir();
      const result = await cli.run(['import', '--dir', target], { input });
      expect(result.code, message).toBe(1);
      expect(result.stderr).toContain(message);
      expect(await fileAdapter({ dir: target }).keys()).toEqual([]);
    }
  });

  it('usage errors exit 2 with a hint; --help exits 0', async () => {
    for (const args of [
      ['frobnicate', '--dir', dir],
      ['ls'],
      ['ls', '--dir', dir, '--url', 'postgres://x'],
      ['ls', '--dir'],
      ['ls', '--dir', dir, '--colour'],
      ['show', '--dir', dir],
      ['diff', 'order-1', '1', '--dir', dir],
      ['prune', '--dir', dir],
      ['prune', '--keep', '0', '--dir', dir],
      ['quarantine', 'zap', '--dir', dir],
      ['ls', '--url', 'mysql://x'],
    ]) {
      // In process: the same run() the binary calls, without a process start per case.
      const result = await runInProcess(args, dir);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/Run `xstate-checkpoint (\w+ )?--help`/);
    }
    const none = await cli.run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no command given');
    const help = await cli.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: xstate-checkpoint <command>');
    // Each usage line of the command list starts with a command name (a usage split mid-form did not).
    const names = new Set(commands.map((c) => c.name));
    const section = help.stdout.slice(help.stdout.indexOf('Commands:\n'));
    const listed = section.slice(0, section.indexOf('\n\n')).split('\n').slice(1);
    expect(listed.filter((l) => !names.has(l.trim().split(' ')[0]!))).toEqual([]);
  });

  it('each command has its own --help; --version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-v'], ['ls', '--version']]) {
      const version = await cli.run(args);
      expect(version.code).toBe(0);
      expect(version.stdout).toBe(`${pkg.version}\n`);
    }
    for (const args of [
      ['show', '--help'],
      ['help', 'show'],
      ['show', '-h', '--dir', dir],
    ]) {
      const help = await cli.run(args);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toContain('Usage: xstate-checkpoint show <key>');
      expect(help.stdout).toMatch(/--gen <n> +the generation to show/);
      expect(help.stdout).not.toContain('--keep');
    }
    const prune = await cli.run(['prune', '--help']);
    expect(prune.stdout).toMatch(/--keep <n> +how many/);
    expect(prune.stdout).toContain('--dry-run');
    // An option of another command is named as such, with that command's help.
    const wrong = await runInProcess(['ls', '--gen', '3', '--dir', dir], dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--gen is not an option of ls');
    expect(wrong.stderr).toContain('Run `xstate-checkpoint ls --help`');
  });

  it('a reader that closes the pipe early (`| head`) ends the output quietly', async () => {
    const child = spawn(process.execPath, [cli.entry, 'show', 'order-1', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  it('a --dir that is not a folder is an error (exit 2), never an empty store', async () => {
    const typo = join(dir, 'no-such-folder');
    for (const command of [['ls'], ['verify'], ['import', '--file', '/dev/null']]) {
      const result = await cli.run([...command, '--dir', typo]);
      expect(result.code, command[0]).toBe(2);
      expect(result.stdout).not.toContain('(no keys)');
      expect(result.stderr).toContain(`invalid-option: --dir ${typo}: no such folder`);
    }
    const asJson = await cli.run(['ls', '--dir', typo, '--json']);
    expect(asJson.code).toBe(2);
    expect(json<{ ok: boolean; error: { code: string } }>(asJson.stdout)).toMatchObject({
      ok: false,
      error: { code: 'invalid-option' },
    });
    const file = await cli.file('not-a-folder.txt', 'x');
    const notFolder = await cli.run(['ls', '--dir', file]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toContain('is a file, not a folder');
    // Nothing was created where the typo pointed.
    await expect(readFile(typo)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('xstate-checkpoint CLI against a server that is not there', () => {
  // Issue 12: the adapter's retry sleep was unref'd, so Node left with code 13 (an
  // unsettled top-level await) and printed nothing.
  it('prints the connection error, naming the URL without its password, and exits 2', async () => {
    for (const url of ['postgresql://postgres:s3cret-pw@127.0.0.1:1/test', 'redis://127.0.0.1:1']) {
      const result = await cli.run(['ls', '--url', url]);
      expect(result.code, `${url}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/connection: (postgresql:\/\/postgres@|redis:\/\/)127\.0\.0\.1:1/);
      expect(result.stderr).not.toContain('s3cret-pw');
    }
  }, 60_000);
});

await describePostgres('xstate-checkpoint CLI with PostgreSQL', 'cli', (env) => {
  it('moves a folder into PostgreSQL and back, byte for byte (export | import | export)', async () => {
    const source = await tempDir();
    const store = await populate(source);
    await store.quarantine('order-1', (await store.list('order-1'))[2]!.seq, 'test: aside');
    await store.dispose();
    const pg = ['--url', pgUrl(), '--schema', env.schema];
    const first = await cli.run(['export', '--dir', source]);
    expect(first.code).toBe(0);
    const imported = await cli.run(['import', ...pg], { input: first.stdout });
    expect(imported.code, imported.stderr).toBe(0);
    expect((await cli.run(['verify', ...pg])).code).toBe(0);
    const listed = json<{ keys: Array<{ key: string; quarantined: number }> }>(
      (await cli.run(['ls', ...pg, '--json'])).stdout,
    );
    expect(listed.keys.map((k) => [k.key, k.quarantined])).toEqual([
      ['order-1', 1],
      ['order-2', 0],
    ]);
    const second = await cli.run(['export', ...pg]);
    expect(second.code).toBe(0);
    // Every record line is identical; only the header (source, time) differs.
    const records = (dump: string) => dump.trimEnd().split('\n').slice(1);
    expect(records(second.stdout)).toEqual(records(first.stdout));
    expect(records(first.stdout).length).toBeGreaterThan(5);
  });
});

describe('progress', () => {
  it('draws a bar on stderr only when it is a terminal, never in --json mode', async () => {
    const dir = await tempDir();
    const store = await populate(dir);
    await store.dispose();
    const runIn = (isTTY: boolean, extra: string[] = []) =>
      runInProcess(['verify', '--dir', dir, ...extra], dir, isTTY);
    const tty = await runIn(true);
    expect(tty.code).toBe(0);
    // The first thing drawn, before any key is listed.
    expect(tty.stderr.startsWith('\r\x1b[2Kverify: listing keys… ')).toBe(true);
    expect(tty.stderr).toContain('\r\x1b[2Kverify [');
    expect(tty.stderr).toMatch(/verify \[#+-*\] \d+\/2 keys · \d+ generations/);
    expect(tty.stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect((await runIn(false)).stderr).toBe('');
    expect((await runIn(true, ['--json'])).stderr).toBe('');
    expect((await runIn(true, ['--no-progress'])).stderr).toBe('');
  });

  it('estimates the time left from the rate so far', async () => {
    const dir = await tempDir();
    const store = fileAdapter({ dir });
    for (let i = 0; i < 12; i++) {
      const p = await persistActor(machine, { key: `k${i}`, adapter: store, flushOnExit: false });
      await p.flush();
      await p.close();
    }
    await store.dispose();
    // The in-process clock moves 100 ms per reading: enough keys pass half a second.
    const tty = await runInProcess(['verify', '--dir', dir], dir, true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/verify \[#+-*\] \d+\/12 keys · \d+ generations · ~\d+ s left/);
  });
});

// Regression (redteam): keys and machine ids come from storage, and `ls` and
// `verify` printed them raw, so a key holding an escape sequence cleared or
// recoloured the operator's terminal, and a carriage return could overwrite a
// FAIL line with "ok".
describe('the CLI never prints stored text raw to a terminal', () => {
  it('printable escapes controls and bidi overrides, and keeps line feeds, tabs and other Unicode', () => {
    expect(printable('a\u001b[2Jb\rc\u0007d\u202ee\u0085')).toBe('a\\u001b[2Jb\\u000dc\\u0007d\\u202ee\\u0085');
    expect(printable('line\n\tnext ünï 😀')).toBe('line\n\tnext ünï 😀');
  });

  it('ls and verify show a key with an escape sequence and a carriage return escaped', async () => {
    const dir = await tempDir();
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
