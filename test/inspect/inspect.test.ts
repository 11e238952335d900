import { createInspector } from '@statelyai/inspect';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assign, createMachine, type InspectionEvent } from 'xstate';
import { checkpointInspection, isCheckpointInspectionEvent, persistActor } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';

const machine = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

const checkpointTypes = (events: InspectionEvent[]) =>
  events.filter(isCheckpointInspectionEvent).map((e) => e.event.type);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('checkpointInspection', () => {
  it("adds restore and save to the actor's inspection stream, next to XState's own events", async () => {
    const seen: InspectionEvent[] = [];
    const persisted = await persistActor(machine, {
      key: 'c-1',
      adapter: memoryAdapter(),
      flushOnExit: false,
      ...checkpointInspection((e) => seen.push(e)),
    });
    persisted.actor.send({ type: 'INC' });
    const saved = await persisted.flush();
    await persisted.close();

    expect(seen.some((e) => e.type === '@xstate.snapshot')).toBe(true);
    expect(seen.some((e) => e.type === '@xstate.event' && e.event.type === 'INC')).toBe(true);
    const ours = seen.filter(isCheckpointInspectionEvent);
    expect(ours.map((e) => e.event.type)).toEqual(['@xstate-checkpoint.restore', '@xstate-checkpoint.save']);
    for (const e of ours) {
      expect(e.actorRef).toBe(persisted.actor);
      expect(e.rootId).toBe(persisted.actor.sessionId);
      expect(e.sourceRef).toBeUndefined();
    }
    expect(ours[0]!.event).toMatchObject({ key: 'c-1', source: 'fresh', migrationsApplied: [], rejected: [] });
    expect(ours[1]!.event).toMatchObject({ key: 'c-1', seq: saved!.seq, byteLength: saved!.byteLength });
    // Everything in the stream is plain data an inspector can serialize.
    expect(() => JSON.stringify(ours.map((e) => e.event))).not.toThrow();
  });

  it('delivers quarantines from restore (before the actor exists) once the actor is there, in order', async () => {
    const store = createMemoryStore();
    const first = await persistActor(machine, { key: 'c-2', adapter: memoryAdapter({ store }), flushOnExit: false });
    first.actor.send({ type: 'INC' });
    await first.flush();
    await first.close();
    // Damage the newest generation's payload so restore quarantines it and falls back.
    const newest = [...store.keys.get('c-2')!.generations.values()].at(-1)!;
    const damaged = newest.bytes.slice();
    damaged[damaged.length - 1]! ^= 0xff;
    store.keys.get('c-2')!.generations.set(newest.seq, { ...newest, bytes: damaged });

    const seen: InspectionEvent[] = [];
    const ownEvents: string[] = [];
    const second = await persistActor(machine, {
      key: 'c-2',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      ...checkpointInspection((e) => seen.push(e), { onEvent: (e) => ownEvents.push(e.type) }),
    });
    await second.flush();
    await second.close();
    expect(checkpointTypes(seen).slice(0, 2)).toEqual(['@xstate-checkpoint.quarantine', '@xstate-checkpoint.restore']);
    const quarantine = seen.filter(isCheckpointInspectionEvent)[0]!;
    expect(quarantine.event).toMatchObject({ key: 'c-2', seq: newest.seq });
    expect(String(quarantine.event['reason'])).toContain('corrupt');
    expect(quarantine.actorRef).toBe(second.actor);
    // The first XState event in the stream is the root actor's registration; ours come after it.
    expect(seen.findIndex((e) => e.type === '@xstate.actor')).toBeLessThan(seen.findIndex(isCheckpointInspectionEvent));
    expect(ownEvents.slice(0, 2)).toEqual(['quarantine', 'restore']);
  });

  it('filters by type and reports save errors as code and message', async () => {
    const seen: InspectionEvent[] = [];
    const failing = { ...memoryAdapter(), write: () => Promise.reject(new Error('disk on fire')) };
    const persisted = await persistActor(machine, {
      key: 'c-3',
      adapter: failing,
      flushOnExit: false,
      onError: () => undefined,
      ...checkpointInspection({ next: (e) => seen.push(e) }, { types: ['save-error'] }),
    });
    await persisted.flush().catch(() => undefined);
    await persisted.close().catch(() => undefined);
    const errors = seen.filter(isCheckpointInspectionEvent);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.event.type === '@xstate-checkpoint.save-error')).toBe(true);
    expect(errors[0]!.event).toMatchObject({ key: 'c-3', code: 'io', attempt: 1 });
    expect(String(errors[0]!.event['message'])).toContain('disk on fire');
  });

  it('shows up in @statelyai/inspect as events of the actor, without warnings', async () => {
    const sent: Array<{ type: string; sessionId?: string; event?: { type: string } }> = [];
    const inspector = createInspector({
      send: (e: unknown) => sent.push(e as (typeof sent)[number]),
      start() {},
      stop() {},
    });
    const warn = vi.spyOn(console, 'warn');
    const persisted = await persistActor(machine, {
      key: 'c-4',
      adapter: memoryAdapter(),
      flushOnExit: false,
      ...checkpointInspection(inspector.inspect),
    });
    persisted.actor.send({ type: 'INC' });
    await persisted.flush();
    await persisted.close();
    // The inspector converts events when the thread is idle.
    await vi.waitFor(() => expect(sent.filter((e) => e.event?.type === '@xstate-checkpoint.save')).toHaveLength(1));
    const ours = sent.filter((e) => e.type === '@xstate.event' && e.event?.type.startsWith('@xstate-checkpoint.'));
    expect(ours.map((e) => e.event!.type)).toEqual(['@xstate-checkpoint.restore', '@xstate-checkpoint.save']);
    expect(ours.every((e) => e.sessionId === persisted.actor.sessionId)).toBe(true);
    expect(sent.some((e) => e.type === '@xstate.actor')).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });
});
