import { taggedJsonCodec } from '../src/codec/index.js';
import { flagValue } from './args.js';
import type { Command } from './command.js';
import { checkGeneration, type GenerationCheck } from './generation.js';
import { allKeys } from './ls.js';
import { loadMachineModule } from './machine.js';
import { formatBytes } from './output.js';
import { formatCount } from './progress.js';

/**
 * `verify [key...] [--machine module]`: checksums and decoding of every
 * generation; with a machine module also identity, migration, validation and
 * XState's own check. Exit 1 when any generation fails, naming each.
 */
export const verifyCommand: Command = {
  name: 'verify',
  usage: 'verify [key...] [--machine module]',
  summary: 'check every generation (checksums, decoding; with --machine: migration and validation)',
  description:
    "Checks every generation of the store (or of the keys named) as a restore would: length,\nchecksums and decoding; with --machine also identity, migrations, validation and XState's own\ncheck. Exit 1 when any generation fails, naming each. Read only.",
  options: ['machine'],
  writes: false,
  async run({ adapter, words, args, out, io }) {
    const machinePath = flagValue(args, 'machine');
    const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
    const codecs = machine?.codecs ?? [taggedJsonCodec];
    const progress = out.progress('verify');
    const keys = words.length > 0 ? [...words] : await allKeys(adapter);
    const results: GenerationCheck[] = [];
    let quarantined = 0;
    let failed = 0;
    // Key by key, so the line moves (and estimates) from the first key, not after every key was listed.
    progress.count(
      keys.length,
      'keys',
      () => `${formatCount(results.length)} generations${failed > 0 ? `, ${formatCount(failed)} failing` : ''}`,
    );
    for (const key of keys) {
      for (const info of await adapter.list(key)) {
        const check = await checkGeneration(adapter, key, info, codecs, machine);
        results.push(check);
        if (!check.ok) failed++;
      }
      quarantined += (await adapter.listQuarantine(key)).length;
      progress.tick();
    }
    progress.finish();
    const problems = results.filter((r) => !r.ok);

    out.result({
      ok: problems.length === 0,
      keys: keys.length,
      generations: results.length,
      quarantined,
      machine: machine ? { id: machine.machineId, version: machine.version } : undefined,
      problems: problems.map(({ key, seq, code, detail }) => ({ key, seq, code, detail })),
      results,
    });
    for (const r of results) {
      if (r.ok) {
        const h = r.header!;
        const migrated =
          r.migrationsApplied && r.migrationsApplied.length > 0 ? `, migrates ${h.version}→${machine!.version}` : '';
        out.line(`ok    ${r.key} #${r.seq}  ${h.machine} v${h.version}  ${formatBytes(r.byteLength)}${migrated}`);
      } else {
        out.line(`FAIL  ${r.key} #${r.seq}  ${r.detail ?? r.code ?? 'unknown problem'}`);
      }
    }
    const against = machine ? ` against machine "${machine.machineId}" v${machine.version}` : '';
    const q = quarantined > 0 ? ` (${quarantined} quarantined, not checked: see \`quarantine ls\`)` : '';
    out.line(
      `${keys.length} key${keys.length === 1 ? '' : 's'}, ${results.length} generation${results.length === 1 ? '' : 's'}${against}: ` +
        `${results.length - problems.length} ok, ${problems.length} problem${problems.length === 1 ? '' : 's'}${q}`,
    );
    return problems.length === 0 ? 0 : 1;
  },
};
