import type { CheckpointAdapter } from '../src/adapter.js';
import { openEnvelope } from '../src/envelope.js';
import { CheckpointError } from '../src/errors.js';
import type { FlagName, ParsedArgs } from '../cli/args.js';
import type { Command } from '../cli/command.js';
import { problemText } from '../cli/generation.js';
import type { MachineModule } from '../cli/machine.js';
import { formatBytes, Output } from '../cli/output.js';
import { quarantineCommand } from '../cli/quarantine.js';
import { stillFails } from '../cli/republish.js';
import { rollbackCommand } from '../cli/rollback.js';

/** What a write action would do, shown to confirm it; `nextSeq` goes back with the confirmation. */
export interface ActionPreview {
  /** False when the CLI command would refuse it (the reason is in `text`). */
  readonly allowed: boolean;
  /** What will be written, in one or two sentences. */
  readonly text: string;
  readonly warnings: string[];
  /** The sequence the new generation gets; the store must still be at it when confirmed. */
  readonly nextSeq: number;
}

/** Where the write actions run: the store, the `--machine` module path and the CLI's clock and folder. */
export interface ActionContext {
  readonly adapter: CheckpointAdapter;
  readonly machine: MachineModule | undefined;
  /** `--machine` as given on the command line (the CLI command loads it itself, as it would from a shell). */
  readonly machinePath: string | undefined;
  readonly cwd: string;
  readonly now: () => number;
}

async function nextSeq(adapter: CheckpointAdapter, key: string): Promise<number> {
  const [generations, quarantined] = await Promise.all([adapter.list(key), adapter.listQuarantine(key)]);
  return Math.max(0, ...generations.map((g) => g.seq), ...quarantined.map((q) => q.seq)) + 1;
}

/**
 * What `rollback <key> <seq>` would write, and whether it would refuse (a
 * generation a restore would refuse: against `--machine` when given).
 *
 * @example
 * ```ts
 * import { previewRollback, type ActionContext } from './actions.js';
 * declare const ctx: ActionContext;
 * const { text, nextSeq } = await previewRollback(ctx, 'order-1', 3);
 * ```
 */
export async function previewRollback(ctx: ActionContext, key: string, seq: number): Promise<ActionPreview> {
  const bytes = await ctx.adapter.read(key, seq);
  if (bytes === undefined) throw new CheckpointError('not-found', { key, adapter: ctx.adapter.name, seq });
  const next = await nextSeq(ctx.adapter, key);
  const failing = await stillFails(bytes, ctx.machine);
  const header = openEnvelope(bytes).header;
  if (failing !== undefined) {
    return {
      allowed: false,
      warnings: [],
      nextSeq: next,
      text: `Generation #${seq} would not restore (${problemText(failing)}), so it cannot be rolled back to.`,
    };
  }
  return {
    allowed: true,
    warnings: [],
    nextSeq: next,
    text:
      `Writes the payload of generation #${seq} (${header.machine} v${header.version}, ${formatBytes(header.length)}) again as new generation #${next} of "${key}". ` +
      `Generations #${seq + 1}–#${next - 1} stay; nothing is overwritten. Stop the actor first: a running owner makes this fail.`,
  };
}

/**
 * What `quarantine restore <key> <id>` would write; restoring one that still
 * fails is allowed, with the CLI's warning.
 *
 * @example
 * ```ts
 * import { previewQuarantineRestore, type ActionContext } from './actions.js';
 * declare const ctx: ActionContext;
 * const { text } = await previewQuarantineRestore(ctx, 'order-1', 'q-1');
 * ```
 */
export async function previewQuarantineRestore(ctx: ActionContext, key: string, id: string): Promise<ActionPreview> {
  const found = (await ctx.adapter.listQuarantine(key)).find((q) => q.id === id);
  const bytes = found ? await ctx.adapter.readQuarantined(key, id) : undefined;
  if (!found || bytes === undefined) {
    throw new CheckpointError('not-found', {
      key,
      adapter: ctx.adapter.name,
      detail: `no quarantined generation with id "${id}"`,
    });
  }
  const next = await nextSeq(ctx.adapter, key);
  const failing = await stillFails(bytes, ctx.machine);
  return {
    allowed: true,
    nextSeq: next,
    warnings:
      failing === undefined
        ? []
        : [`It still fails to restore (${problemText(failing)}); the next restore will quarantine it again.`],
    text:
      `Copies quarantined generation #${found.seq} (${formatBytes(found.byteLength)}, set aside for: ${found.reason}) back as new generation #${next} of "${key}". ` +
      `The quarantined copy stays; nothing is overwritten.`,
  };
}

/**
 * Runs a CLI command exactly as the shell would (same checks, same writes)
 * and returns its `--json` result. The store must still be where the preview
 * saw it: a generation written since makes this `conflict` instead of writing
 * something the confirmation did not describe.
 *
 * @example
 * ```ts
 * import { runAction, type ActionContext } from './actions.js';
 * declare const ctx: ActionContext;
 * const result = await runAction(ctx, { kind: 'rollback', key: 'order-1', seq: 3, nextSeq: 8 });
 * ```
 */
export async function runAction(
  ctx: ActionContext,
  action:
    | { kind: 'rollback'; key: string; seq: number; nextSeq: number }
    | { kind: 'quarantine-restore'; key: string; id: string; nextSeq: number },
): Promise<unknown> {
  const now = await nextSeq(ctx.adapter, action.key);
  if (now !== action.nextSeq) {
    throw new CheckpointError('conflict', {
      key: action.key,
      adapter: ctx.adapter.name,
      detail: `the key moved on since the confirmation (it would now write #${now}, not #${action.nextSeq}); look again and confirm anew`,
    });
  }
  const [command, words]: [Command, string[]] =
    action.kind === 'rollback'
      ? [rollbackCommand, [action.key, String(action.seq)]]
      : [quarantineCommand, ['restore', action.key, action.id]];
  let printed = '';
  const io = {
    stdout: { write: (chunk: string) => ((printed += chunk), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: () => true, isTTY: false },
    stdin: (async function* () {})(),
    cwd: ctx.cwd,
    now: ctx.now,
  };
  const flags = new Map<FlagName, string | true>([['json', true]]);
  if (ctx.machinePath !== undefined) flags.set('machine', ctx.machinePath);
  const args: ParsedArgs = { positionals: [command.name, ...words], flags };
  const out = new Output(io, true, false);
  await command.run({ args, words, adapter: ctx.adapter, out, io });
  return JSON.parse(printed) as unknown;
}
