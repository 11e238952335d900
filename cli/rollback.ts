import { CheckpointError } from '../src/errors.js';
import { flagValue, seqArg, UsageError } from './args.js';
import type { Command } from './command.js';
import { problemText } from './generation.js';
import { loadMachineModule } from './machine.js';
import { openForRepublish, republish, stillFails } from './republish.js';

/**
 * `rollback <key> <seq>`: writes generation `seq` again as the newest
 * generation (the next sequence), so the next restore continues from it.
 * Newer generations are kept (retention drops them later); nothing is
 * overwritten. The same as `persisted.history.rollback(seq)` in code, for a
 * stopped actor.
 */
export const rollbackCommand: Command = {
  name: 'rollback',
  usage: 'rollback <key> <seq> [--machine module]',
  summary: 'write an older generation again as the newest (nothing is overwritten)',
  description:
    'Writes generation <seq> again as the newest (the next sequence), so the next restore continues\nfrom it. Newer generations are kept; nothing is overwritten. Refuses a generation that would not\nrestore (with --machine: against the running machine). Stop the actor first.',
  options: ['machine'],
  writes: true,
  async run({ adapter, words, args, out, io }) {
    const key = words[0];
    if (key === undefined) throw new UsageError('rollback needs <key> <seq>');
    const from = seqArg(words[1], 'the generation to roll back to');
    const bytes = await adapter.read(key, from);
    if (bytes === undefined) throw new CheckpointError('not-found', { key, adapter: adapter.name, seq: from });
    const opened = openForRepublish(bytes, key, adapter.name, `generation ${from}`);
    const machinePath = flagValue(args, 'machine');
    const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
    const failing = await stillFails(bytes, machine);
    if (failing !== undefined) {
      // Rolling back to a generation restore refuses would only get it quarantined.
      throw new CheckpointError(failing.code, {
        key,
        adapter: adapter.name,
        seq: from,
        cause: failing,
        detail: `generation ${from} would not restore (${problemText(failing)}); pick another (\`verify ${key}\`)`,
      });
    }
    const { seq, epoch } = await republish(adapter, key, opened, io.now());
    out.result({ key, from, seq, epoch });
    out.line(`${key}: generation #${from} written again as #${seq}; the next restore continues from it`);
    return 0;
  },
};
