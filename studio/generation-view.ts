import type { EnvelopeHeader } from '../src/envelope.js';
import { toCheckpointError } from '../src/errors.js';
import type { DecodedCheckpoint } from '../src/restore.js';
import { problemText } from '../cli/generation.js';
import { checkAgainstMachine, type MachineModule } from '../cli/machine.js';
import { formatStateValue } from '../cli/output.js';
import { activePaths } from './machine-graph.js';
import { toTree, type TreeNode } from './tree.js';

/** A pending delayed event, with how long is left at the time of the view. */
export interface TimerView {
  readonly id: string;
  readonly event: string;
  readonly payload: TreeNode;
  readonly source: string;
  readonly target: string;
  readonly deadline: number;
  /** `deadline - now`: negative when overdue (it fires at once on restore). */
  readonly leftMs: number;
}

/** A child actor in the snapshot. */
export interface ChildView {
  readonly id: string;
  readonly src: string;
  readonly status: string;
  readonly state?: string;
}

/** What the `verify --machine` checks say about one generation. */
export interface MachineVerdict {
  readonly ok: boolean;
  readonly migrationsApplied?: number[];
  readonly code?: string;
  readonly detail?: string;
}

/** One decoded generation, as the page shows it. */
export interface GenerationView {
  readonly key: string;
  readonly seq: number;
  readonly header: EnvelopeHeader;
  readonly status: string;
  readonly state: string;
  readonly value: TreeNode;
  readonly context: TreeNode;
  /** The first 500 children. */
  readonly children: ChildView[];
  /** How many children the snapshot has (`children` holds at most 500). */
  readonly childCount: number;
  /** The first 500 pending timers. */
  readonly timers: TimerView[];
  /** How many pending timers the generation has (`timers` holds at most 500). */
  readonly timerCount: number;
  readonly now: number;
  /** With `--machine`: would it restore into that machine, and which states are active in it. */
  readonly machine?: MachineVerdict & { readonly active: string[] };
}

/** Children and timers shown per generation. */
const MAX_ROWS = 500;

const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);

/**
 * Builds the page's view of one decoded generation: state value, context as
 * a tree, children, pending timers with the time left at `now`; with a
 * machine module, the `verify --machine` verdict and the active state paths
 * (of the snapshot as the running code would restore it, when it does).
 *
 * @example
 * ```ts
 * import type { DecodedCheckpoint } from '../src/restore.js';
 * import { generationView } from './generation-view.js';
 * declare const decoded: DecodedCheckpoint;
 * const view = await generationView('order-1', decoded, undefined, Date.now());
 * ```
 */
export async function generationView(
  key: string,
  decoded: DecodedCheckpoint,
  machine: MachineModule | undefined,
  now: number,
): Promise<GenerationView> {
  let snapshot = decoded.data.snapshot as Record<string, unknown>;
  let verdict: (MachineVerdict & { active: string[] }) | undefined;
  if (machine) {
    try {
      const checked = await checkAgainstMachine(decoded, machine);
      snapshot = checked.snapshot as Record<string, unknown>;
      verdict = { ok: true, migrationsApplied: checked.migrationsApplied, active: [] };
    } catch (caught) {
      const error = toCheckpointError(caught, 'decode', { key, seq: decoded.header.seq });
      verdict = { ok: false, code: error.code, detail: problemText(error), active: [] };
    }
    verdict.active = activePaths(snapshot['value']);
  }
  const children = snapshot['children'];
  const childViews: ChildView[] = [];
  let childCount = 0;
  if (typeof children === 'object' && children !== null) {
    const all = Object.entries(children as Record<string, unknown>);
    childCount = all.length;
    for (const [id, c] of all.slice(0, MAX_ROWS)) {
      const child = (typeof c === 'object' && c !== null ? c : {}) as {
        src?: unknown;
        snapshot?: Record<string, unknown>;
      };
      const value = child.snapshot?.['value'];
      childViews.push({
        id,
        src: text(child.src, '?'),
        status: text(child.snapshot?.['status'], '?'),
        ...(value === undefined ? {} : { state: formatStateValue(value) }),
      });
    }
  }
  return {
    key,
    seq: decoded.header.seq,
    header: decoded.header,
    status: text(snapshot['status'], '?'),
    state: 'value' in snapshot ? formatStateValue(snapshot['value']) : '(no state value)',
    value: toTree(snapshot['value']),
    context: toTree(snapshot['context']),
    children: childViews,
    childCount,
    timerCount: decoded.data.timers.length,
    // Stored bytes may list a million timers: the page shows the first 500, each event small.
    timers: decoded.data.timers.slice(0, MAX_ROWS).map((t) => ({
      id: t.id,
      event: text(t.event.type, '?'),
      payload: toTree(t.event, { nodes: 100 }),
      source: t.source.length === 0 ? '(root)' : t.source.join('/'),
      target: t.target.length === 0 ? '(root)' : t.target.join('/'),
      deadline: t.deadline,
      leftMs: t.deadline - now,
    })),
    now,
    ...(verdict ? { machine: verdict } : {}),
  };
}
