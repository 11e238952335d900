import { taggedJsonCodec } from '../src/codec.js';
import { selectPrunable } from '../src/retention.js';
import { flagValue, intFlag, UsageError } from './args.js';
import type { Command } from './command.js';
import { checkGeneration } from './generation.js';
import { loadMachineModule } from './machine.js';
import { formatCount } from './progress.js';

/**
 * `prune --keep n [key...]`: deletes generations beyond the newest `n` of each
 * key, never the newest one that verifies (decodes, and with `--machine`
 * restores). A key with no generation that verifies is left alone and
 * reported (exit 1). Quarantined generations are never pruned.
 */
export const pruneCommand: Command = {
  name: 'prune',
  usage: 'prune --keep n [key...] [--dry-run] [--machine module]',
  summary: 'delete all but the newest n generations of each key (keeps the newest valid one)',
  description:
    'Deletes all but the newest n generations of each key, never the newest one that verifies\n(decodes, and with --machine restores). A key with no generation that verifies is left alone and\nreported (exit 1). Quarantined generations are never pruned.',
  options: ['keep', 'dry-run', 'machine'],
  writes: true,
  async run({ adapter, words, args, out, io }) {
    const keep = intFlag(args, 'keep', 1);
    if (keep === undefined) throw new UsageError('prune needs --keep n (n >= 1)');
    const dryRun = args.flags.has('dry-run');
    const machinePath = flagValue(args, 'machine');
    const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
    const codecs = machine?.codecs ?? [taggedJsonCodec];
    const progress = out.progress('prune');
    const keys = words.length > 0 ? [...words] : (await adapter.keys()).sort();
    const report: Array<{ key: string; removed: number[]; kept: number[]; newestValid?: number; problem?: string }> =
      [];
    let removed = 0;
    progress.count(
      keys.length,
      'keys',
      () => `${formatCount(removed)} generations ${dryRun ? 'to remove' : 'removed'}`,
    );
    for (const key of keys) {
      const generations = await adapter.list(key);
      let newestValid: number | undefined;
      for (const info of generations) {
        if ((await checkGeneration(adapter, key, info, codecs, machine)).ok) {
          newestValid = info.seq;
          break;
        }
      }
      if (newestValid === undefined) {
        const problem =
          generations.length === 0 ? 'no generations' : 'no generation verifies; nothing pruned (run `verify`)';
        report.push({ key, removed: [], kept: generations.map((g) => g.seq), problem });
        progress.tick();
        continue;
      }
      const removable = selectPrunable(generations, { latest: keep }, io.now(), new Set([newestValid]));
      if (!dryRun) for (const seq of removable) await adapter.remove(key, seq);
      removed += removable.length;
      const kept = generations.map((g) => g.seq).filter((s) => !removable.includes(s));
      report.push({ key, removed: removable, kept, newestValid });
      progress.tick();
    }
    progress.finish();
    const problems = report.filter((r) => r.problem !== undefined);
    out.result({ dryRun, keep, keys: report, ok: problems.length === 0 });
    const verb = dryRun ? 'would remove' : 'removed';
    for (const r of report) {
      if (r.problem) out.line(`${r.key}: ${r.problem}`);
      else {
        const removed = r.removed.length === 0 ? 'nothing' : r.removed.map((s) => `#${s}`).join(' ');
        out.line(
          `${r.key}: ${verb} ${removed}; kept ${r.kept.map((s) => `#${s}`).join(' ')} (newest valid #${r.newestValid!})`,
        );
      }
    }
    const total = report.reduce((n, r) => n + r.removed.length, 0);
    out.line(
      `${verb} ${total} generation${total === 1 ? '' : 's'} in ${report.length} key${report.length === 1 ? '' : 's'}`,
    );
    return problems.length === 0 ? 0 : 1;
  },
};
