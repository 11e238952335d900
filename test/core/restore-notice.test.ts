// A restore that passes over data says so, once, where the app looks (issue 11),
// and its messages are true (what the data holds, what was quarantined).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { assign, createMachine } from 'xstate';
import { CheckpointError, isCheckpointError, persistActor, type CheckpointAdapter } from 'xstate-checkpoint';
import { createMemoryStore, memoryAdapter, type MemoryStore } from 'xstate-checkpoint/adapters/memory';

const v1 = createMachine({
  id: 'shop',
  context: { total: 0 as number | string },
  initial: 'cart',
  states: { cart: { on: { PAY: 'paid' } }, paid: {} },
  on: { ADD: { actions: assign({ total: () => 'not a number' }) } },
});
const schema = z.object({ total: z.number() });

async function seed(store: MemoryStore, send: Array<{ type: string }>) {
  const a = await persistActor(v1, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
  for (const e of send) a.actor.send(e);
  await a.flush();
  a.actor.stop();
}

/** The memory adapter whose quarantine refuses, as a read-only store does. */
function readOnly(store: MemoryStore): CheckpointAdapter {
  const inner = memoryAdapter({ store });
  return {
    ...inner,
    quarantine: () => Promise.reject(new CheckpointError('read-only', { adapter: 'memory' })),
  };
}

describe('a restore that passes over generations says so once', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('by default on console.warn: key, code, quarantine id and the command that brings it back', async () => {
    const store = createMemoryStore();
    await seed(store, [{ type: 'ADD' }]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const p = await persistActor(v1, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false, schema });
    expect(p.restored.source).toBe('fresh');
    expect(warn).toHaveBeenCalledTimes(1);
    const text = String(warn.mock.calls[0]![0]);
    const [q] = await memoryAdapter({ store }).listQuarantine('k');
    expect(p.restored.rejected[0]!.quarantineId).toBe(q!.id);
    expect(text).toContain('key "k"');
    expect(text).toContain('#1 validation');
    expect(text).toContain('started fresh');
    expect(text).toContain(`id ${q!.id}`);
    expect(text).toContain('npx xstate-checkpoint quarantine restore k <id>');
    await p.close();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("goes to the actor's logger when given, else to onError as a typed error", async () => {
    const store = createMemoryStore();
    await seed(store, [{ type: 'PAY' }]);
    const removed = createMachine({ id: 'shop', context: { total: 0 }, initial: 'cart', states: { cart: {} } });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const logged: unknown[] = [];
    const a = await persistActor(removed, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      logger: (...args: unknown[]) => logged.push(...args),
      onError: () => undefined,
    });
    expect(logged).toHaveLength(1);
    expect(String(logged[0])).toContain('#1 invalid-state');
    await a.close();

    await seed(store, [{ type: 'PAY' }]);
    const errors: unknown[] = [];
    const b = await persistActor(removed, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      onError: (e) => errors.push(e),
    });
    expect(errors).toHaveLength(1);
    const e = errors[0]!;
    expect(isCheckpointError(e) && e.code).toBe('invalid-state');
    expect(isCheckpointError(e) && e.key).toBe('k');
    expect(warn).not.toHaveBeenCalled();
    await b.close();
  });

  it('a clean restore says nothing', async () => {
    const store = createMemoryStore();
    await seed(store, [{ type: 'PAY' }]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const p = await persistActor(v1, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(p.restored.source).toBe('checkpoint');
    expect(warn).not.toHaveBeenCalled();
    await p.close();
  });

  it('journal mode says it the same way', async () => {
    const store = createMemoryStore();
    await seed(store, [{ type: 'ADD' }]);
    const logged: unknown[] = [];
    const p = await persistActor(v1, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      journal: true,
      schema,
      logger: (...args: unknown[]) => logged.push(...args),
    });
    expect(p.restored.source).toBe('fresh');
    expect(logged).toHaveLength(1);
    expect(String(logged[0])).toContain('#1 validation');
    await p.close();
  });
});

describe('messages that are true', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('on a store that cannot quarantine, nothing claims it was quarantined', async () => {
    const store = createMemoryStore();
    await seed(store, [{ type: 'ADD' }]);
    // Damage the payload: a corrupt generation.
    const state = store.keys.get('k')!;
    const record = [...state.generations.values()][0]!;
    record.bytes[record.bytes.length - 2]! ^= 0xff;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const p = await persistActor(v1, { key: 'k', adapter: readOnly(store), flushOnExit: false });
    const [r] = p.restored.rejected;
    expect(r!.code).toBe('corrupt');
    expect(r!.quarantined).toBe(false);
    expect(r!.message).not.toMatch(/was quarantined/);
    expect(String(warn.mock.calls[0]![0])).toContain('could not be quarantined');
    await p.close();
  });

  it('restore-failed points at error.data.rejected, which is where the generations are', async () => {
    const store = createMemoryStore();
    await seed(store, [{ type: 'ADD' }]);
    const error = await persistActor(v1, {
      key: 'k',
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      schema,
      onRestoreError: 'throw',
    }).then(
      () => undefined,
      (e: unknown) => e as CheckpointError,
    );
    expect(error?.code).toBe('restore-failed');
    expect(error?.message).toContain('error.data.rejected');
    expect((error?.data as { rejected: unknown[] }).rejected).toHaveLength(1);
  });
});

describe('the printed command can be pasted as it is (redteam)', () => {
  it('quotes a key with spaces or quotes for the shell, and a POSIX shell reads it back as the key', async () => {
    const { execFileSync } = await import('node:child_process');
    const key = "order 1/it's $HOME";
    const store = createMemoryStore();
    const a = await persistActor(v1, { key, adapter: memoryAdapter({ store }), flushOnExit: false });
    a.actor.send({ type: 'ADD' });
    await a.flush();
    a.actor.stop();
    const notices: CheckpointError[] = [];
    const p = await persistActor(v1, {
      key,
      adapter: memoryAdapter({ store }),
      flushOnExit: false,
      schema,
      onError: (e) => notices.push(e),
    });
    const command = /`npx xstate-checkpoint quarantine restore (.+) <id> --machine <module>`/.exec(notices[0]!.message);
    expect(command?.[1]).toBe(`'order 1/it'\\''s $HOME'`);
    if (process.platform !== 'win32') {
      expect(execFileSync('sh', ['-c', `printf %s ${command![1]!}`], { encoding: 'utf8' })).toBe(key);
    }
    await p.close();
  });
});
