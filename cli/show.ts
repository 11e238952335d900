import { taggedJsonCodec } from '../src/codec/index.js';
import { CheckpointError } from '../src/errors.js';
import { flagValue, intFlag, UsageError } from './args.js';
import type { Command } from './command.js';
import { readGeneration } from './generation.js';
import { checkAgainstMachine, loadMachineModule } from './machine.js';
import { formatBytes, formatStateValue, formatTime, jsonSafe, pretty } from './output.js';

const indent = (text: string, by: string) => text.split('\n').join(`\n${by}`);

/** `show <key> [--gen n]`: one generation's header, state, context, children and pending timers. */
export const showCommand: Command = {
  name: 'show',
  usage: 'show <key> [--gen n] [--machine module]',
  summary: 'print a generation: state value, context, children, timers, metadata (newest unless --gen)',
  description:
    'Prints one generation (the newest unless --gen): machine and version, write time, epoch, codec,\nstatus, state value, context, children and pending timers. With --machine it is migrated and\nvalidated as the running code would restore it. Read only: a generation that fails is reported,\nnever moved.',
  options: ['gen', 'machine'],
  writes: false,
  async run({ adapter, words, args, out, io }) {
    const key = words[0];
    if (key === undefined) throw new UsageError('show needs a key');
    const generations = await adapter.list(key);
    const seq = intFlag(args, 'gen', 1) ?? generations[0]?.seq;
    if (seq === undefined)
      throw new CheckpointError('not-found', { key, adapter: adapter.name, detail: 'no generations' });
    const machinePath = flagValue(args, 'machine');
    const machine = machinePath === undefined ? undefined : await loadMachineModule(machinePath, io.cwd);
    const decoded = await readGeneration(adapter, key, seq, machine?.codecs ?? [taggedJsonCodec]);
    const { header } = decoded;
    let snapshot = decoded.data.snapshot as Record<string, unknown>;
    let migrationsApplied: number[] | undefined;
    if (machine) {
      const checked = await checkAgainstMachine(decoded, machine);
      snapshot = checked.snapshot as Record<string, unknown>;
      migrationsApplied = checked.migrationsApplied;
    }
    const children = (snapshot['children'] ?? {}) as Record<string, { src?: unknown; snapshot?: { status?: string } }>;
    const timers = decoded.data.timers;

    out.result({
      key,
      seq,
      header,
      ...(migrationsApplied ? { migrationsApplied } : {}),
      status: snapshot['status'],
      value: jsonSafe(snapshot['value']),
      context: jsonSafe(snapshot['context']),
      children: Object.fromEntries(
        Object.entries(children).map(([id, c]) => [id, { src: c?.src, status: c?.snapshot?.status }]),
      ),
      timers: jsonSafe(timers),
      snapshot: jsonSafe(snapshot),
    });

    const position = generations.findIndex((g) => g.seq === seq);
    const where = position === 0 ? `newest of ${generations.length}` : `${position + 1} of ${generations.length}`;
    const colors = io.stderr.isTTY === true;
    out.line(`${key} generation #${seq} (${position === -1 ? 'not listed' : where})`);
    out.line(`  machine    ${header.machine}, version ${header.version}`);
    out.line(
      `  written    ${formatTime(header.createdAt)}, epoch ${header.epoch}, codec ${header.codec}, ${formatBytes(header.length)} payload`,
    );
    if (migrationsApplied && migrationsApplied.length > 0) {
      out.line(`  migrated   through steps ${migrationsApplied.join(', ')} (as the running code restores it)`);
    }
    out.line(`  status     ${String(snapshot['status'])}`);
    if ('value' in snapshot) out.line(`  state      ${formatStateValue(snapshot['value'])}`);
    out.inspected(`  context    ${indent(pretty(snapshot['context'], colors), '             ')}`);
    const ids = Object.keys(children);
    out.line(
      `  children   ${ids.length === 0 ? '(none)' : ids.map((id) => `${id} (${String(children[id]?.src)}, ${children[id]?.snapshot?.status ?? '?'})`).join(', ')}`,
    );
    if (timers.length === 0) out.line('  timers     (none)');
    for (const [i, t] of timers.entries()) {
      const due = t.deadline - io.now();
      const when = due >= 0 ? `in ${Math.round(due / 1000)} s` : `overdue by ${Math.round(-due / 1000)} s`;
      const target = t.target.length === 0 ? 'root' : t.target.join('/');
      out.line(
        `  ${i === 0 ? 'timers  ' : '        '}   ${t.event.type} → ${target} at ${formatTime(t.deadline)} (${when})`,
      );
    }
    return 0;
  },
};
