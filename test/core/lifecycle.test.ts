import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMachine, assign } from 'xstate';
import { persistActor, type ProcessLike } from 'xstate-checkpoint';
import { installLifecycleHooks } from 'xstate-checkpoint/pipeline';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

/** A stand-in for `process`: real listeners, recorded exits. */
function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const proc: ProcessLike = {
    on: (e, l) => emitter.on(e, l),
    off: (e, l) => emitter.off(e, l),
    listenerCount: (e) => emitter.listenerCount(e),
    exit: (code) => {
      exits.push(code ?? 0);
    },
  };
  return { proc, emitter, exits };
}

class FakeTarget extends EventTarget {
  visibilityState = 'visible';
}

afterEach(() => {
  vi.useRealTimers();
});

describe('installLifecycleHooks', () => {
  it('installs nothing until called and removes everything it installed', () => {
    const { proc, emitter } = fakeProcess();
    expect(emitter.listenerCount('SIGINT')).toBe(0);
    const remove = installLifecycleHooks(async () => undefined, { process: proc });
    expect(emitter.listenerCount('SIGINT')).toBe(1);
    expect(emitter.listenerCount('SIGTERM')).toBe(1);
    expect(emitter.listenerCount('beforeExit')).toBe(1);
    remove();
    remove();
    expect(
      emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM') + emitter.listenerCount('beforeExit'),
    ).toBe(0);
  });

  it('flushes every registered actor on SIGTERM, then exits with 143', async () => {
    const { proc, emitter, exits } = fakeProcess();
    const flushed: string[] = [];
    const r1 = installLifecycleHooks(async () => void flushed.push('a'), { process: proc });
    const r2 = installLifecycleHooks(async () => void flushed.push('b'), { process: proc });
    expect(emitter.listenerCount('SIGTERM')).toBe(1); // one shared listener
    emitter.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exits).toEqual([143]));
    expect(flushed.sort()).toEqual(['a', 'b']);
    r1();
    r2();
  });

  it('exits with 130 on SIGINT only after the flush settles; a second signal exits at once', async () => {
    const { proc, emitter, exits } = fakeProcess();
    let release!: () => void;
    const remove = installLifecycleHooks(() => new Promise<void>((r) => (release = r)), { process: proc });
    emitter.emit('SIGINT', 'SIGINT');
    await new Promise((r) => setTimeout(r, 10));
    expect(exits).toEqual([]);
    emitter.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    release();
    remove();
  });

  it('leaves the exit to another SIGINT listener when there is one', async () => {
    const { proc, emitter, exits } = fakeProcess();
    emitter.on('SIGINT', () => undefined);
    let flushed = 0;
    const remove = installLifecycleHooks(async () => void flushed++, { process: proc });
    emitter.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(flushed).toBe(1));
    await new Promise((r) => setTimeout(r, 10));
    expect(exits).toEqual([]);
    remove();
  });

  it('exits after the timeout when a flush hangs', async () => {
    const { proc, emitter, exits } = fakeProcess();
    const remove = installLifecycleHooks(() => new Promise(() => undefined), { process: proc, exitTimeoutMs: 20 });
    emitter.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exits).toEqual([143]));
    remove();
  });

  it('flushes on pagehide and on visibilitychange to hidden, not to visible', () => {
    const win = new FakeTarget();
    const doc = new FakeTarget();
    let flushes = 0;
    const remove = installLifecycleHooks(async () => void flushes++, { window: win, document: doc });
    win.dispatchEvent(new Event('pagehide'));
    expect(flushes).toBe(1);
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(flushes).toBe(1);
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(flushes).toBe(2);
    remove();
    win.dispatchEvent(new Event('pagehide'));
    expect(flushes).toBe(2);
  });
});

describe('persistActor lifecycle', () => {
  const m = createMachine({
    id: 'm',
    context: { n: 0 },
    on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
  });

  it('writes pending changes on pagehide before the debounce would', async () => {
    const win = new FakeTarget();
    const adapter = memoryAdapter();
    const p = await persistActor(m, {
      key: 'k',
      adapter,
      debounce: { wait: 60_000, maxWait: 60_000 },
      lifecycle: { window: win },
    });
    await p.flush();
    p.actor.send({ type: 'INC' });
    win.dispatchEvent(new Event('pagehide'));
    await vi.waitFor(async () => {
      const [newest] = await adapter.list('k');
      const loaded = await p.history.load(newest!.seq);
      expect(loaded.snapshot).toMatchObject({ context: { n: 1 } });
    });
    await p.close();
  });

  it('flushes on SIGTERM and removes its hooks on close', async () => {
    const { proc, emitter, exits } = fakeProcess();
    const adapter = memoryAdapter();
    const p = await persistActor(m, {
      key: 'k',
      adapter,
      debounce: { wait: 60_000, maxWait: 60_000 },
      lifecycle: { process: proc },
    });
    await p.flush();
    p.actor.send({ type: 'INC' });
    emitter.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exits).toEqual([143]));
    const [newest] = await adapter.list('k');
    expect((await p.history.load(newest!.seq)).snapshot).toMatchObject({ context: { n: 1 } });
    await p.close();
    expect(
      emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM') + emitter.listenerCount('beforeExit'),
    ).toBe(0);
  });
});
