import { taggedJsonCodec } from '../src/codec.js';
import { flagValue } from './args.js';
import type { Command } from './command.js';
import { checkGeneration, type GenerationCheck } from './generation.js';
import { allKeys } from './ls.js';
import { loadMachineModule } from './machine.js';
import { formatBytes } from './output.js';

/**
 * `verify [key...] [--machine module]`: checksums and decoding of every
 * generation; with a machine module also identity, migration, validation and
 * XState's own check. Exit 1 when any generation fails, naming each.
 */
export const verifyCommand: Command = {
  name: 'verify',
  usage: 'verify [key...] [--machine module]',
  summary: 'check every generation (checksums, decoding; with --machine: migration and validation)',
  writes: false,
  async run({ adapter, words, args, out, io }) {
    const machinePath = flagValue(args, 'machine');
    const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
    const codecs = machine?.codecs ?? [taggedJsonCodec];
    const keys = words.length > 0 ? [...words] : await allKeys(adapter);
    const work = [];
    let quarantined = 0;
    for (const key of keys) {
      for (const info of await adapter.list(key)) work.push({ key, info });
      quarantined += (await adapter.listQuarantine(key)).length;
    }
    const progress = out.progress('verify', work.length);
    const results: GenerationCheck[] = [];
    for (const { key, info } of work) {
      results.push(await checkGeneration(adapter, key, info, codecs, machine));
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
