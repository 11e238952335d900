import { describe, expect, it } from 'vitest';
import { createActor, createMachine, fromPromise, sendTo, SimulatedClock, spawnChild, type AnyActorRef } from 'xstate';
import {
  canSchedule,
  childPath,
  clockOf,
  logicOf,
  parentOf,
  replaceOnReRegister,
  scheduledEventsOf,
  scheduleIn,
  setSnapshotOf,
  syncSnapshotOf,
  wrapRelay,
} from '../../src/xstate-internals.js';

// Runs under the node project (XState's production build) and node-dev (its development build).
// Each check names the private field it relies on, so an XState upgrade that moves one fails here by name.
const moved = (internal: string, what: string) =>
  `XState internal \`${internal}\` moved or changed shape: ${what}. Update src/xstate-internals.ts for this XState version.`;

const raw = (value: object) => value as Record<string, unknown>;

const tree = createMachine({
  id: 'root',
  invoke: {
    id: 'child',
    src: createMachine({ invoke: { id: 'grandchild', src: createMachine({}) } }),
  },
});

describe('xstate-internals: the private fields the kit relies on', () => {
  it('_parent links a child to the actor that invoked it; childPath walks it', () => {
    const root = createActor(tree).start();
    const child = root.getSnapshot().children['child'] as AnyActorRef;
    const grandchild = child.getSnapshot().children['grandchild'] as AnyActorRef;
    expect(
      Object.hasOwn(child, '_parent') && raw(child)['_parent'],
      moved('actor._parent', 'a child no longer holds its parent'),
    ).toBe(root);
    expect(parentOf(root), moved('actor._parent', 'the root has a parent')).toBeUndefined();
    expect(parentOf(grandchild), moved('actor._parent', 'a grandchild does not point at its parent')).toBe(child);
    expect(childPath(grandchild, root)).toEqual(['child', 'grandchild']);
    expect(childPath(root, root)).toEqual([]);
    expect(childPath(grandchild, child)).toEqual(['grandchild']);
    expect(childPath(grandchild)).toEqual(['child', 'grandchild']);
    expect(childPath(root)).toEqual([]);
    expect(childPath(child, createActor(tree))).toBeUndefined();
    expect(childPath(undefined, root)).toBeUndefined();
    root.stop();
  });

  it('_syncSnapshot holds the option a child was spawned with', () => {
    const root = createActor(
      createMachine({
        entry: [
          spawnChild(createMachine({}), { id: 'synced', syncSnapshot: true }),
          spawnChild(createMachine({}), { id: 'plain' }),
        ],
      }),
    ).start();
    const { synced, plain } = root.getSnapshot().children;
    expect(
      syncSnapshotOf(synced!),
      moved('actor._syncSnapshot', 'a child spawned with syncSnapshot: true does not say so'),
    ).toBe(true);
    expect(syncSnapshotOf(plain!), moved('actor._syncSnapshot', 'a child spawned without it says true')).toBeFalsy();
    root.stop();
  });

  it('logic is the logic an actor was created from', () => {
    const child = fromPromise(() => new Promise<never>(() => {}));
    const root = createActor(createMachine({ invoke: { id: 'p', src: child } })).start();
    expect(logicOf(root), moved('actor.logic', 'the root does not hold its machine')).toBe(root.logic);
    const p = root.getSnapshot().children['p']!;
    expect(logicOf(p), moved('actor.logic', 'an invoked promise actor does not hold its logic')).toBe(child);
    expect(typeof logicOf(p)?.['start'], moved('actor.logic', 'promise logic has no start')).toBe('function');
    root.stop();
  });

  it('_snapshot is what getSnapshot() returns', () => {
    const root = createActor(createMachine({})).start();
    expect(Object.hasOwn(root, '_snapshot'), moved('actor._snapshot', 'no such own field')).toBe(true);
    const replaced = { ...root.getSnapshot() };
    setSnapshotOf(root, replaced);
    expect(root.getSnapshot(), moved('actor._snapshot', 'getSnapshot() does not read it')).toBe(replaced);
    root.stop();
  });

  it('system._snapshot._scheduledEvents lists pending delayed events with their deadline parts', () => {
    const clock = new SimulatedClock();
    const root = createActor(createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } }), {
      clock,
    }).start();
    const scheduled = scheduledEventsOf(root.system);
    expect(
      scheduled,
      moved('system._snapshot._scheduledEvents', 'missing on a system with a pending timer'),
    ).toBeTypeOf('object');
    const entries = Object.values(scheduled ?? {});
    expect(entries, moved('system._snapshot._scheduledEvents', 'the pending `after` timer is not listed')).toHaveLength(
      1,
    );
    const s = entries[0]!;
    expect(
      { source: s.source, target: s.target, delay: s.delay, id: typeof s.id, startedAt: typeof s.startedAt },
      moved('system._snapshot._scheduledEvents[*]', 'an entry lost source/target/delay/id/startedAt'),
    ).toEqual({ source: root, target: root, delay: 1000, id: 'string', startedAt: 'number' });
    expect(
      s.event.type.startsWith('xstate.after.'),
      moved('system._snapshot._scheduledEvents[*].event', 'not the after event'),
    ).toBe(true);
    clock.increment(1000);
    expect(
      Object.values(scheduledEventsOf(root.system) ?? {}),
      moved('system._snapshot._scheduledEvents', 'a delivered timer stays listed'),
    ).toHaveLength(0);
    root.stop();
  });

  it('system.scheduler.schedule arms a delayed event under a given id', () => {
    const clock = new SimulatedClock();
    const root = createActor(createMachine({ initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } }), {
      clock,
    }).start();
    expect(canSchedule(root.system), moved('system.scheduler', 'the system has no scheduler')).toBe(true);
    expect(scheduleIn(root.system, root, root, { type: 'GO' }, 500, 'armed')).toBe(true);
    const ids = Object.values(scheduledEventsOf(root.system) ?? {}).map((s) => s.id);
    expect(ids, moved('system.scheduler.schedule', 'the id argument is not kept')).toEqual(['armed']);
    clock.increment(499);
    expect(root.getSnapshot().value).toBe('a');
    clock.increment(1);
    expect(
      root.getSnapshot().value,
      moved('system.scheduler.schedule', 'the event was not delivered after its delay'),
    ).toBe('b');
    root.stop();
  });

  it('system._relay sees every delivery, and unwrapping puts the original back', () => {
    const root = createActor(
      createMachine({
        invoke: { id: 'child', src: createMachine({ on: { PING: {} } }) },
        on: { FORWARD: { actions: sendTo('child', { type: 'PING' }) } },
      }),
    ).start();
    const original = raw(root.system)['_relay'];
    expect(original, moved('system._relay', 'not a function on the system')).toBeTypeOf('function');
    const seen: string[] = [];
    const unwrap = wrapRelay(root.system, (source, target, event) => {
      seen.push(
        `${source === undefined ? '-' : source === root ? 'root' : source.id}>${target === root ? 'root' : target.id}:${event.type}`,
      );
    });
    expect(unwrap, moved('system._relay', 'could not be wrapped')).toBeTypeOf('function');
    root.send({ type: 'FORWARD' });
    expect(seen, moved('system._relay', 'a send from outside or between actors did not pass through it')).toEqual([
      '->root:FORWARD',
      'root>child:PING',
    ]);
    unwrap!();
    expect(raw(root.system)['_relay']).toBe(original);
    root.stop();
  });

  it('system._set / _unregister are the systemId registry', () => {
    const spawnWorker = spawnChild(
      fromPromise(() => new Promise<never>(() => undefined)),
      { systemId: 'worker' },
    );
    const root = createActor(
      createMachine({
        entry: spawnWorker,
        on: { AGAIN: { actions: spawnWorker } },
      }),
    ).start();
    const system = raw(root.system);
    expect(system['_set'], moved('system._set', 'not a function')).toBeTypeOf('function');
    expect(system['_unregister'], moved('system._unregister', 'not a function')).toBeTypeOf('function');
    const first = root.system.get('worker');
    expect(first, moved('system._set', 'spawning with a systemId did not register it')).toBeDefined();
    replaceOnReRegister(root.system);
    root.send({ type: 'AGAIN' });
    const second = root.system.get('worker');
    expect(second, moved('system._set / _unregister', 'a re-registration did not take the name')).not.toBe(first);
    expect(second).toBeDefined();
    root.stop();
  });

  it('system._clock is the clock the actor was created with', () => {
    const clock = new SimulatedClock();
    const root = createActor(createMachine({}), { clock });
    expect(clockOf(root.system), moved('system._clock', 'not the clock passed to createActor')).toBe(clock);
  });
});
