import type { AnyActorLogic } from 'xstate';

/** One state node as the page draws it: a box holding its child states. */
export interface StateBox {
  /** Keys from the root (`[]` is the machine itself); what {@link activePaths} returns, joined with `.`. */
  readonly path: string;
  readonly key: string;
  readonly type: string;
  /** The initial child's key (compound states). */
  readonly initial?: string;
  /** Event types this state handles (its own transitions, without the inherited ones). */
  readonly events: string[];
  /** Delays of its `after` transitions, as XState names them. */
  readonly after: string[];
  readonly children: StateBox[];
}

interface NodeLike {
  key?: unknown;
  type?: unknown;
  states?: Record<string, NodeLike>;
  initial?: { target?: Array<{ key?: unknown }> };
  transitions?: Map<string, unknown>;
  after?: Array<{ delay?: unknown }>;
}

const MAX_BOXES = 2000;
/** State value levels {@link activePaths} follows. */
const MAX_NESTING = 64;

/**
 * The machine's states as nested boxes (at most 2,000, deeper or further ones
 * left out), read from XState's state node tree.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { machineBoxes } from './machine-graph.js';
 * const root = machineBoxes(createMachine({ id: 'm', initial: 'a', states: { a: {}, b: {} } }));
 * root.children.map((c) => c.key); // ['a', 'b']
 * ```
 */
export function machineBoxes(logic: AnyActorLogic): StateBox {
  let budget = MAX_BOXES;
  const id = (logic as { id?: unknown }).id;
  const name = typeof id === 'string' && id !== '' ? id : 'machine';
  const walk = (node: NodeLike, path: string[]): StateBox => {
    budget--;
    const children: StateBox[] = [];
    for (const [key, child] of Object.entries(node.states ?? {})) {
      if (budget <= 0) break;
      children.push(walk(child, [...path, key]));
    }
    const initial = node.initial?.target?.[0]?.key;
    const events =
      node.transitions instanceof Map ? [...node.transitions.keys()].filter((e) => !e.startsWith('xstate.after')) : [];
    const after = (node.after ?? []).map((t) => String(t.delay));
    return {
      path: path.join('.'),
      key: path.length === 0 ? name : path[path.length - 1]!,
      type: typeof node.type === 'string' ? node.type : 'atomic',
      ...(typeof initial === 'string' ? { initial } : {}),
      events,
      after: [...new Set(after)],
      children,
    };
  };
  return walk((logic as { root?: NodeLike }).root ?? {}, []);
}

/**
 * The key paths of the states a state value makes active, parents included:
 * `{ checkout: 'payment' }` gives `['checkout', 'checkout.payment']`. Stored
 * values are hostile: only strings and plain objects are followed, at most
 * 2,000 paths and 64 levels.
 *
 * @example
 * ```ts
 * import { activePaths } from './machine-graph.js';
 * activePaths({ checkout: 'payment' }); // ['checkout', 'checkout.payment']
 * ```
 */
export function activePaths(value: unknown, prefix: string[] = [], out: string[] = []): string[] {
  // A value that contains itself would give 2,000 paths of up to 2,000 keys each (10 MB): no
  // machine nests 64 levels, and a path is only drawn when the machine has that state.
  if (out.length >= MAX_BOXES || prefix.length >= MAX_NESTING) return out;
  if (typeof value === 'string') {
    out.push([...prefix, value].join('.'));
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (out.length >= MAX_BOXES) break;
      out.push([...prefix, key].join('.'));
      activePaths(inner, [...prefix, key], out);
    }
  }
  return out;
}
