import type { CheckpointAdapter, QuarantineInfo } from '../src/adapter.js';
import { CheckpointError } from '../src/errors.js';
import { flagValue, UsageError } from './args.js';
import type { Command, CommandContext } from './command.js';
import { problemText } from './generation.js';
import { loadMachineModule } from './machine.js';
import { formatBytes, formatTime } from './output.js';
import { openForRepublish, republish, stillFails } from './republish.js';

async function findQuarantined(adapter: CheckpointAdapter, key: string, id: string): Promise<QuarantineInfo> {
  const found = (await adapter.listQuarantine(key)).find((q) => q.id === id);
  if (!found) {
    throw new CheckpointError('not-found', {
      key,
      adapter: adapter.name,
      detail: `no quarantined generation with id "${id}" (see \`quarantine ls ${key}\`)`,
    });
  }
  return found;
}

async function list({ adapter, words, out }: CommandContext): Promise<number> {
  const entries =
    words.length === 0
      ? await adapter.listQuarantine()
      : (await Promise.all(words.map((key) => adapter.listQuarantine(key)))).flat();
  out.result({ quarantined: entries });
  if (entries.length === 0) out.line('(nothing quarantined)');
  for (const q of entries) {
    out.line(`${q.key}  #${q.seq}  id ${q.id}  ${formatTime(q.quarantinedAt)}  ${formatBytes(q.byteLength)}`);
    out.line(`    ${q.reason}`);
  }
  return 0;
}

/**
 * Copies quarantined bytes back as a new generation: the payload unchanged,
 * re-enveloped with the next sequence ({@link republish}). Nothing is
 * overwritten; the quarantined copy stays until `quarantine rm`.
 */
async function restore({ adapter, words, args, out, io }: CommandContext): Promise<number> {
  const [key, id] = words;
  if (key === undefined || id === undefined) throw new UsageError('quarantine restore needs <key> <id>');
  const q = await findQuarantined(adapter, key, id);
  const bytes = await adapter.readQuarantined(key, id);
  if (bytes === undefined)
    throw new CheckpointError('not-found', { key, adapter: adapter.name, detail: `id "${id}" vanished` });
  const opened = openForRepublish(bytes, key, adapter.name, `quarantined generation ${q.seq}`);
  const machinePath = flagValue(args, 'machine');
  const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
  const failing = await stillFails(bytes, machine);
  const { seq, epoch } = await republish(adapter, key, opened, io.now());
  const warnings =
    failing === undefined
      ? []
      : [`it still fails to restore (${problemText(failing)}); the next restore will quarantine it again`];
  out.result({ key, id, from: q.seq, seq, epoch, warnings });
  out.line(
    `restored quarantined #${q.seq} of ${key} as generation #${seq} (the quarantined copy stays; \`quarantine rm ${key} ${id}\` deletes it)`,
  );
  for (const w of warnings) out.warn(`warning: ${w}`);
  return 0;
}

async function remove({ adapter, words, out }: CommandContext): Promise<number> {
  const [key, id] = words;
  if (key === undefined || id === undefined) throw new UsageError('quarantine rm needs <key> <id>');
  const q = await findQuarantined(adapter, key, id);
  await adapter.deleteQuarantined(key, id);
  out.result({ key, id, seq: q.seq, deleted: true });
  out.line(`deleted quarantined #${q.seq} of ${key} (id ${id})`);
  return 0;
}

/** `quarantine ls [key...]`, `quarantine restore <key> <id>`, `quarantine rm <key> <id>`. */
export const quarantineCommand: Command = {
  name: 'quarantine',
  usage: 'quarantine ls [key...] | quarantine restore <key> <id> [--machine module] | quarantine rm <key> <id>',
  summary: 'list quarantined generations, copy one back as a new generation, or delete one',
  description:
    'ls lists quarantined generations with the reason each was set aside. restore copies one back as\na new generation (its payload unchanged; the quarantined copy stays). rm deletes one for good.',
  options: ['machine'],
  writes: true,
  async run(context) {
    const [sub, ...rest] = context.words;
    const next = { ...context, words: rest };
    if (sub === 'ls') return list(next);
    if (sub === 'restore') return restore(next);
    if (sub === 'rm') return remove(next);
    throw new UsageError(`quarantine needs ls, restore or rm${sub === undefined ? '' : `, got "${sub}"`}`);
  },
};
