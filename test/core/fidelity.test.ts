import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback, setup } from 'xstate';
import { encodeText } from '../../src/codec.js';
import { persistActor } from 'xstate-checkpoint';
import { corpus, type Step } from '../journal/corpus.js';
import { createMemoryStore, memoryAdapter } from 'xstate-checkpoint/adapters/memory';

async function apply(send: (e: { type: string }) => void, steps: Step[]) {
  for (const step of steps) {
    if ('wait' in step) await vi.advanceTimersByTimeAsync(step.wait);
    else send(step);
  }
}

const normal = (actor: { getPersistedSnapshot(): unknown }) => encodeText(actor.getPersistedSnapshot());

describe('restore fidelity: "run all" equals "run, checkpoint, restore, run the rest" at every cut', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const { name, machine, steps } of corpus) {
    it(name, async () => {
      const reference = createActor(machine).start();
      await apply((e) => reference.send(e), steps);
      const expected = normal(reference);
      reference.stop();

      for (let cut = 0; cut <= steps.length; cut++) {
        vi.setSystemTime(1_700_000_000_000);
        const store = createMemoryStore();
        const first = await persistActor(machine, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
        await apply((e) => first.actor.send(e), steps.slice(0, cut));
        await first.flush();
        first.actor.stop(); // a crash: no close, no further writes

        const second = await persistActor(machine, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
        expect(second.restored.source, `cut ${cut}`).toBe('checkpoint');
        await apply((e) => second.actor.send(e), steps.slice(cut));
        expect(normal(second.actor), `${name}, cut after step ${cut}`).toBe(expected);
        await second.close();
      }
    });
  }

  it('keeps a callback child running after restore (it is restarted, and the report says so)', async () => {
    let starts = 0;
    const ticker = fromCallback(() => {
      starts++;
      return () => undefined;
    });
    const m = setup({ actors: { ticker } }).createMachine({ id: 'cb', invoke: { src: 'ticker', id: 't' } });
    const store = createMemoryStore();
    const a = await persistActor(m, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
    await a.flush();
    a.actor.stop();
    const b = await persistActor(m, { key: 'k', adapter: memoryAdapter({ store }), flushOnExit: false });
    expect(b.restored.invocationsRestarted).toBe(true);
    expect(starts).toBe(2);
    await b.close();
  });
});
