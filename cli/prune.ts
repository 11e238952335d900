import { taggedJsonCodec } from '../src/codec/index.js';
import { explainRetention, type RetentionRule } from '../src/retention.js';
import { flagValue } from './args.js';
import type { Command } from './command.js';
import { checkGeneration } from './generation.js';
import { loadMachineModule } from './machine.js';
import { formatCount } from './progress.js';
import { retentionFromArgs } from './retention-flags.js';

/**
 * `prune --keep n [key...]`: deletes the generations of each key that no
 * retention rule keeps (`--keep` latest, `--keep-hourly`, `--keep-daily`,
 * `--keep-weekly`, as `retain` of persistActor), never the newest one that
 * verifies (decodes, and with `--machine` restores). A key with no generation
 * that verifies is left alone and reported (exit 1). Quarantined generations
 * are never pruned.
 */
export const pruneCommand: Command = {
  name: 'prune',
  usage: 'prune (--keep n, --keep-daily n, ...) [key...] [--dry-run] [--machine module]',
  summary: 'delete the generations no retention rule keeps (keeps the newest valid one)',
  description:
    'Deletes the generations of each key that no rule keeps: --keep n (the newest n, none older than\n--max-age), --keep-hourly / --keep-daily / --keep-weekly n (the newest of each of the n latest\nhours, days, weeks that have one; UTC unless --utc-offset), as retain of persistActor. Never the\nnewest one that verifies (decodes, and with --machine restores). A key with no generation that\nverifies is left alone and reported (exit 1). Quarantined generations are never pruned.',
  options: ['keep', 'keep-hourly', 'keep-daily', 'keep-weekly', 'max-age', 'utc-offset', 'dry-run', 'machine'],
  writes: true,
  async run({ adapter, words, args, out, io }) {
    const retain = retentionFromArgs(args);
    const keep = retain.latest;
    const dryRun = args.flags.has('dry-run');
    const machinePath = flagValue(args, 'machine');
    const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
    const codecs = machine?.codecs ?? [taggedJsonCodec];
    const progress = out.progress('prune');
    const keys = words.length > 0 ? [...words] : (await adapter.keys()).sort();
    const report: Array<{
      key: string;
      removed: number[];
      kept: number[];
      keptBy?: Record<number, readonly RetentionRule[]>;
      newestValid?: number;
      problem?: string;
    }> = [];
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
      const explained = explainRetention(generations, retain, io.now(), new Set([newestValid]));
      const removable = explained.filter((g) => g.keptBy.length === 0).map((g) => g.seq);
      if (!dryRun) for (const seq of removable) await adapter.remove(key, seq);
      removed += removable.length;
      const survivors = explained.filter((g) => g.keptBy.length > 0);
      const kept = survivors.map((g) => g.seq);
      const keptBy = Object.fromEntries(survivors.map((g) => [g.seq, g.keptBy]));
      report.push({ key, removed: removable, kept, keptBy, newestValid });
      progress.tick();
    }
    progress.finish();
    const problems = report.filter((r) => r.problem !== undefined);
    out.result({ dryRun, keep, retain, keys: report, ok: problems.length === 0 });
    const verb = dryRun ? 'would remove' : 'removed';
    for (const r of report) {
      if (r.problem) out.line(`${r.key}: ${r.problem}`);
      else {
        const removed = r.removed.length === 0 ? 'nothing' : r.removed.map((s) => `#${s}`).join(' ');
        const kept = r.kept.map((s) => `#${s} (${r.keptBy![s]!.join(', ')})`).join(' ');
        out.line(`${r.key}: ${verb} ${removed}; kept ${kept}`);
      }
    }
    const total = report.reduce((n, r) => n + r.removed.length, 0);
    out.line(
      `${verb} ${total} generation${total === 1 ? '' : 's'} in ${report.length} key${report.length === 1 ? '' : 's'}`,
    );
    return problems.length === 0 ? 0 : 1;
  },
};
