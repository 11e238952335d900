import { initialTransition, type AnyActorLogic, type AnyActorRef, type EventObject } from 'xstate';
import { ownChild } from './actor-path.js';
import type { PendingTimer } from './capture.js';
import { persistedTree } from './persisted-tree.js';
import { parentOf, replaceOnReRegister, setSnapshotOf } from './xstate-internals.js';
import type { JournaledEvent } from './journal-entry.js';

/** What replay needs of an actor object (XState's `Actor`, partly internal). */
interface ReplayRef {
  readonly id: string;
  readonly sessionId: string;
  readonly logic: AnyActorLogic;
  readonly system: ReplaySystem;
  readonly options?: { readonly input?: unknown };
  getSnapshot(): unknown;
}

interface ReplaySystem {
  get(systemId: string): unknown;
}

interface ActionLike {
  readonly type: string;
  readonly params?: Record<string, unknown> | undefined;
}

type AnySnapshot = { status?: string; children?: Record<string, ReplayRef>; [key: string]: unknown };

const noop = () => undefined;
const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
// Timers fire at or a little after their deadline; a send of the same event type
// from the same actor well before the deadline is not the timer.
const EARLY_MS = 20;

/** Result of one replayed event. */
export type ReplayOutcome = 'applied' | 'skipped';

/**
 * Replays journaled deliveries onto a machine snapshot without running any
 * side effect: each event goes through the receiving actor's pure
 * `logic.transition(snapshot, event, scope)` with an inert scope that collects
 * actions instead of executing them (what XState's `transition()` does; one
 * scope per actor here, because `transition()` builds a new actor per call and
 * its inert actor has no parent, so a child's `sendParent` throws in it).
 * Delayed events that actions schedule and cancel are tracked, so the timers
 * pending at the end can be re-armed.
 *
 * @example
 * ```ts
 * import { createActor, createMachine } from 'xstate';
 * import { Replay } from 'xstate-checkpoint/journal';
 * const machine = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });
 * const base = createActor(machine).getSnapshot();
 * const replay = new Replay(machine, base, []);
 * replay.apply({ seq: 1, at: Date.now(), event: { type: 'GO' }, target: [] });
 * replay.persisted(); // { value: 'b', ... }
 * ```
 */
export class Replay {
  private snapshot: AnySnapshot;
  private readonly root: ReplayRef;
  private readonly known = new WeakSet<object>();
  private readonly scopes = new WeakMap<object, object>();
  private sink: ActionLike[] = [];
  private synthetic = 0;
  // The actors each timer belongs to: a child re-created under the same id is another actor.
  private readonly owners = new WeakMap<PendingTimer, { source: object; target: object }>();
  /** Delayed events pending after the events applied so far. */
  timers: PendingTimer[];

  /**
   * @param logic The root logic.
   * @param root An unstarted actor made from the base snapshot (its snapshot is the replay's start).
   * @param timers Delayed events pending at the base snapshot.
   * @param fresh Set when the base is an initial state: its initial delayed events are scheduled at `fresh.at`.
   */
  constructor(
    private readonly logic: AnyActorLogic,
    root: AnyActorRef,
    timers: readonly PendingTimer[],
    fresh?: { readonly at: number },
  ) {
    this.root = root as unknown as ReplayRef;
    this.snapshot = root.getSnapshot() as AnySnapshot;
    this.timers = [];
    for (const t of timers) {
      const source = this.resolve(t.source);
      const target = this.resolve(t.target);
      if (source && target) this.add(t, source.ref, target.ref);
    }
    // Replay never stops children for real (`stopChild` is inert), so a systemId re-spawned after a
    // stop would collide with the old registration; the newer actor takes the name, as in a live system.
    replaceOnReRegister(this.root.system);
    if (fresh) {
      this.collectInitial(this.root, [], fresh.at);
      this.walk(this.snapshot, [], (ref, path) => this.collectInitial(ref, path, fresh.at));
    } else {
      this.walk(this.snapshot, [], noop);
    }
  }

  /** Applies one delivery; `skipped` when its receiver is gone or no longer active (XState drops it too). */
  apply(e: JournaledEvent): ReplayOutcome {
    const found = this.resolve(e.target);
    if (!found) return 'skipped';
    const { ref, snapshot } = found;
    this.fired(e);
    this.sink = [];
    let next: AnySnapshot;
    try {
      if (ref === this.root) setSnapshotOf(this.root, snapshot);
      next = ref.logic.transition(snapshot, e.event, this.scopeOf(ref) as never) as AnySnapshot;
    } catch (error) {
      // As a live actor does: a throwing transition leaves it in an error state.
      next = { ...snapshot, status: 'error', error };
    }
    if (ref === this.root) this.snapshot = next;
    else setSnapshotOf(ref, next);
    if (next.status !== 'active') stopChildrenOf(next);
    this.schedule(ref, e.target, this.sink, e.at);
    this.afterStep(e.at);
    return 'applied';
  }

  /** The root's persisted snapshot after the events applied so far. */
  persisted(): unknown {
    // The same walk as a live checkpoint, so references and cycles are stored alike.
    return persistedTree(this.root as unknown as AnyActorRef, this.snapshot);
  }

  private resolve(path: readonly string[]): { ref: ReplayRef; snapshot: AnySnapshot } | undefined {
    let ref = this.root;
    let snapshot = this.snapshot;
    for (const id of path) {
      // Paths come from stored journal entries and timers: own children only.
      const child = ownChild(snapshot.children, id) as ReplayRef | undefined;
      if (!child) return undefined;
      ref = child;
      snapshot = child.getSnapshot() as AnySnapshot;
    }
    return snapshot?.status === 'active' ? { ref, snapshot } : undefined;
  }

  private scopeOf(ref: ReplayRef): object {
    let scope = this.scopes.get(ref);
    if (!scope) {
      scope = {
        self: ref,
        id: ref.id,
        sessionId: ref.sessionId,
        system: ref.system,
        logger: noop,
        defer: noop,
        emit: noop,
        stopChild: noop,
        actionExecutor: (action: ActionLike) => {
          this.sink.push(action);
        },
      };
      this.scopes.set(ref, scope);
    }
    return scope;
  }

  /** Removes the pending timer a delivery came from, if it came from one. */
  private fired(e: JournaledEvent): void {
    if (e.source === undefined || this.timers.length === 0) return;
    const after = e.event.type.startsWith('xstate.after.');
    let best = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i]!;
      if (t.event.type !== e.event.type || !samePath(t.source, e.source) || !samePath(t.target, e.target)) continue;
      if (!after && t.deadline > e.at + EARLY_MS) continue;
      if (best < 0 || t.deadline < this.timers[best]!.deadline) best = i;
    }
    if (best >= 0) this.timers.splice(best, 1);
  }

  /** Tracks the delayed sends and cancels among the actions of one step. */
  private schedule(self: ReplayRef, path: readonly string[], actions: readonly ActionLike[], at: number): void {
    for (const action of actions) {
      const p = action.params;
      if (!p) continue;
      if (action.type === 'xstate.cancel') {
        const id = p['sendId'];
        this.timers = this.timers.filter((t) => !(t.id === id && samePath(t.source, path)));
        continue;
      }
      const delay = p['delay'];
      if (typeof delay !== 'number') continue;
      let target: readonly string[] | undefined;
      if (action.type === 'xstate.raise') target = path;
      else if (action.type === 'xstate.sendTo') target = this.pathOfTarget(p['to'], self, path);
      else continue;
      const targetRef = target && this.resolve(target)?.ref;
      if (!target || !targetRef) continue;
      const event = p['event'] as EventObject;
      const id = typeof p['id'] === 'string' ? p['id'] : `replayed-${++this.synthetic}`;
      this.add({ source: [...path], target: [...target], event, id, deadline: at + delay }, self, targetRef);
    }
  }

  private pathOfTarget(to: unknown, self: ReplayRef, path: readonly string[]): readonly string[] | undefined {
    if (to === self) return path;
    if (typeof to === 'string') return [...path, to];
    if (path.length > 0 && to === parentOf(self)) return path.slice(0, -1);
    let found: string[] | undefined;
    this.walk(
      this.snapshot,
      [],
      (ref, p) => {
        if (ref === to) found = p;
      },
      true,
    );
    return found;
  }

  private afterStep(at: number): void {
    // Actors created by this step (spawned, invoked) schedule their initial delayed events when they start.
    this.walk(this.snapshot, [], (ref, path) => this.collectInitial(ref, path, at));
    if (this.timers.length > 0) {
      // A stopped or finished actor's delayed events are cancelled with it; those sent
      // to a stopped actor would be dropped on arrival.
      this.timers = this.timers.filter((t) => {
        const owner = this.owners.get(t);
        return this.resolve(t.source)?.ref === owner?.source && this.resolve(t.target)?.ref === owner?.target;
      });
    }
  }

  private add(timer: PendingTimer, source: object, target: object): void {
    this.timers.push(timer);
    this.owners.set(timer, { source, target });
  }

  private collectInitial(ref: ReplayRef, path: readonly string[], at: number): void {
    let actions: readonly ActionLike[];
    try {
      actions = initialTransition(ref.logic, ref.options?.input)[1];
    } catch {
      return;
    }
    this.schedule(ref, path, actions, at);
  }

  /** Visits the actors below `snapshot` that were not visited before (or all of them). */
  private walk(
    snapshot: AnySnapshot,
    path: string[],
    visit: (ref: ReplayRef, path: string[]) => void,
    all = false,
  ): void {
    const children = snapshot.children;
    if (!children) return;
    for (const id in children) {
      const child = children[id];
      if (!child) continue;
      const childPath = [...path, id];
      if (all) visit(child, childPath);
      else if (!this.known.has(child)) {
        this.known.add(child);
        visit(child, childPath);
      }
      this.walk(child.getSnapshot() as AnySnapshot, childPath, visit, all);
    }
  }
}

/**
 * What XState does to the children of an actor that finished or failed: each
 * active one is stopped (its own children gone) and stays listed, stopped, in
 * the finished actor's snapshot.
 */
function stopChildrenOf(snapshot: AnySnapshot): void {
  const children = snapshot.children;
  if (!children) return;
  for (const id in children) {
    const child = children[id];
    const s = child?.getSnapshot() as AnySnapshot | undefined;
    if (child && s?.status === 'active') {
      setSnapshotOf(child, { ...s, status: 'stopped', ...(s.children ? { children: {} } : {}) });
    }
  }
}
