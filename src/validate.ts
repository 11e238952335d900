import type { AnyActorLogic, AnyStateMachine } from 'xstate';
import { CheckpointError } from './errors.js';
import { checkStoredChild, checkStoredChildren, checkStoredHistory, isActorLogic } from './stored-ids.js';

interface StateNodeLike {
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly states: Record<string, StateNodeLike>;
}

function isMachine(logic: unknown): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && 'root' in logic && 'getStateNodeById' in logic;
}

function checkValue(node: StateNodeLike, value: unknown, path: string[]): void {
  const fail = (detail: string) => new CheckpointError('invalid-state', { path: ['value', ...path], detail });
  if (typeof value === 'string') {
    if (node.type === 'parallel') throw fail(`parallel state needs a value for every region, got "${value}"`);
    const child = Object.hasOwn(node.states, value) ? node.states[value] : undefined;
    if (!child) throw fail(`state "${[...path, value].join('.')}" does not exist in the machine`);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`state value must be a string or an object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const keys = Object.keys(value);
  if (node.type === 'compound' && keys.length !== 1) {
    throw fail(`compound state "${path.join('.') || '(root)'}" must have one active child, got ${keys.length}`);
  }
  if (node.type === 'parallel') {
    const regions = Object.keys(node.states).filter((k) => node.states[k]!.type !== 'history');
    const missing = regions.filter((r) => !keys.includes(r));
    if (missing.length > 0)
      throw fail(`parallel state "${path.join('.') || '(root)'}" lacks regions ${missing.join(', ')}`);
  }
  for (const key of keys) {
    const child = Object.hasOwn(node.states, key) ? node.states[key] : undefined;
    if (!child) throw fail(`state "${[...path, key].join('.')}" does not exist in the machine`);
    checkValue(child, (value as Record<string, unknown>)[key], [...path, key]);
  }
}

function resolveSrc(machine: AnyStateMachine, src: string): AnyActorLogic | undefined {
  const inline = /^xstate\.invoke\.(\d+)\.(.*)$/.exec(src);
  if (!inline) {
    const actors = machine.implementations.actors as Record<string, AnyActorLogic>;
    return Object.hasOwn(actors, src) ? actors[src] : undefined;
  }
  try {
    const node = machine.getStateNodeById(inline[2]!);
    const config = node.config.invoke as unknown;
    const entry: unknown = Array.isArray(config) ? config[Number(inline[1])] : config;
    const logic = (entry as { src?: unknown } | undefined)?.src;
    return isActorLogic(logic) ? logic : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a persisted machine snapshot against the running machine before
 * XState sees it: every path of the state value is a state node, the status
 * is restorable, and each child's `src` is known (recursively for child
 * machines). Actor references in the context are not checked here: restore
 * revives them wherever their actor is in the tree (`attachRefs`). Throws
 * `invalid-state` or `unknown-child`; other actor logic passes.
 *
 * @example
 * ```ts
 * import { createMachine } from 'xstate';
 * import { validateSnapshot } from 'xstate-checkpoint/pipeline';
 * const machine = createMachine({ initial: 'a', states: { a: {} } });
 * validateSnapshot(machine, { value: 'a', status: 'active', context: {}, children: {} });
 * ```
 */
export function validateSnapshot(logic: AnyActorLogic, snapshot: unknown, path: string[] = []): void {
  if (!isMachine(logic)) return;
  const s = snapshot as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null) {
    throw new CheckpointError('invalid-state', { path, detail: 'snapshot is not an object' });
  }
  const status = s['status'];
  // A child may be stopped: XState stops every child when its parent finishes and persists
  // them so inside the done snapshot (and restores them stopped). A stopped root is never written.
  const restorable = status === 'active' || status === 'done' || status === 'error';
  if (!restorable && !(status === 'stopped' && path.length > 0)) {
    throw new CheckpointError('invalid-state', {
      path: [...path, 'status'],
      detail: `status "${String(status)}" cannot be restored`,
    });
  }
  checkValue(logic.root, s['value'], []);
  checkStoredChildren(s['children'], [...path, 'children']);
  checkStoredHistory(s['historyValue'], [...path, 'historyValue']);
  const children = (s['children'] ?? {}) as Record<string, { src?: unknown; snapshot?: unknown } | undefined>;
  for (const id of Object.keys(children)) {
    const child = children[id];
    checkStoredChild(id, child, [...path, 'children', id]);
    const src = child?.src;
    if (typeof src !== 'string') {
      throw new CheckpointError('unknown-child', {
        path: [...path, 'children', id],
        detail: `child "${id}" was stored without a named src; register its logic in setup({ actors })`,
      });
    }
    const childLogic = resolveSrc(logic, src);
    if (!childLogic) {
      throw new CheckpointError('unknown-child', {
        path: [...path, 'children', id],
        detail: `child "${id}" has src "${src}", which the machine does not know`,
      });
    }
    if (child?.snapshot !== undefined)
      validateSnapshot(childLogic, child.snapshot, [...path, 'children', id, 'snapshot']);
  }
}
