import type { CheckpointAdapter, Lease, QuarantineInfo } from '../adapter.js';
import { taggedJsonCodec } from '../codec.js';
import { encodeEnvelope, openEnvelope } from '../envelope.js';
import { CheckpointError, toCheckpointError } from '../errors.js';
import { decodeCheckpoint } from '../restore.js';
import { flagValue, UsageError } from './args.js';
import type { Command, CommandContext } from './command.js';
import { problemText } from './generation.js';
import { checkAgainstMachine, loadMachineModule } from './machine.js';
import { formatBytes, formatTime } from './output.js';

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
 * re-enveloped with the next sequence, the key's current epoch (or a lease's
 * when the adapter has locks) and the current time. Nothing is overwritten;
 * the quarantined copy stays until `quarantine rm`.
 */
async function restore({ adapter, words, args, out, io }: CommandContext): Promise<number> {
  const [key, id] = words;
  if (key === undefined || id === undefined) throw new UsageError('quarantine restore needs <key> <id>');
  const q = await findQuarantined(adapter, key, id);
  const bytes = await adapter.readQuarantined(key, id);
  if (bytes === undefined)
    throw new CheckpointError('not-found', { key, adapter: adapter.name, detail: `id "${id}" vanished` });
  let opened;
  try {
    opened = openEnvelope(bytes);
  } catch (error) {
    throw new CheckpointError('corrupt', {
      key,
      adapter: adapter.name,
      seq: q.seq,
      cause: error,
      detail: `the quarantined bytes fail their own checks (${problemText(toCheckpointError(error, 'corrupt'))}); they cannot be restored as they are`,
    });
  }
  const machinePath = flagValue(args, 'machine');
  const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
  const warnings: string[] = [];
  try {
    const decoded = decodeCheckpoint(bytes, machine?.codecs ?? [taggedJsonCodec]);
    if (machine) await checkAgainstMachine(decoded, machine);
  } catch (error) {
    warnings.push(
      `it still fails to restore (${problemText(toCheckpointError(error, 'decode'))}); the next restore will quarantine it again`,
    );
  }

  let lease: Lease | undefined;
  try {
    lease = adapter.acquire ? await adapter.acquire(key) : undefined;
    const generations = await adapter.list(key);
    const quarantined = await adapter.listQuarantine(key);
    const seq = Math.max(0, ...generations.map((g) => g.seq), ...quarantined.map((x) => x.seq)) + 1;
    const epoch = lease?.epoch ?? Math.max(0, ...generations.map((g) => g.epoch));
    const createdAt = io.now();
    const h = opened.header;
    const envelope = encodeEnvelope(
      { machine: h.machine, version: h.version, seq, epoch, createdAt, codec: h.codec },
      opened.payload,
    );
    await adapter.write(key, { seq, epoch, createdAt, byteLength: envelope.length, bytes: envelope });
    out.result({ key, id, from: q.seq, seq, epoch, warnings });
    out.line(
      `restored quarantined #${q.seq} of ${key} as generation #${seq} (the quarantined copy stays; \`quarantine rm ${key} ${id}\` deletes it)`,
    );
    for (const w of warnings) out.warn(`warning: ${w}`);
    return 0;
  } finally {
    await lease?.release().catch(() => undefined);
  }
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
