import { useSelector } from '@xstate/react';
import { StrictMode, useEffect } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, expect, it } from 'vitest';
import { assign, setup, type Actor } from 'xstate';
import { persistActor, type CheckpointAdapter, type CheckpointError, type PersistOptions } from 'xstate-checkpoint';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';
import { PersistGate, usePersistedActor } from 'xstate-checkpoint/react';

const machine = setup({
  types: { context: {} as { count: number }, events: {} as { type: 'INC' } },
}).createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
type Options = PersistOptions<typeof machine>;

/** The adapter, counting what reaches the store; `hold` makes restores (list) or writes wait until released. */
function counting(inner: CheckpointAdapter) {
  const calls = { write: 0, acquire: 0, list: 0 };
  const gates: Record<'list' | 'write', Promise<void> | undefined> = { list: undefined, write: undefined };
  const openers = { list: () => {}, write: () => {} };
  const adapter: CheckpointAdapter = {
    ...inner,
    list: async (key) => {
      calls.list++;
      await gates.list;
      return inner.list(key);
    },
    // Restore reads through readNewest where the adapter has it (IndexedDB: one transaction); the gate holds both.
    ...(inner.readNewest
      ? {
          readNewest: async (key: string) => {
            calls.list++;
            await gates.list;
            return inner.readNewest!(key);
          },
        }
      : {}),
    write: async (key, record) => {
      calls.write++;
      await gates.write;
      return inner.write(key, record);
    },
    acquire: (key, o) => (calls.acquire++, inner.acquire!(key, o)),
  };
  return {
    adapter,
    calls,
    hold: (op: 'list' | 'write' = 'list') => {
      gates[op] = new Promise((resolve) => (openers[op] = resolve));
    },
    release: (op: 'list' | 'write' = 'list') => {
      gates[op] = undefined;
      openers[op]();
    },
  };
}

function Counter({ actorRef }: { actorRef: Actor<typeof machine> }) {
  const count = useSelector(actorRef, (s) => s.context.count);
  return <button onClick={() => actorRef.send({ type: 'INC' })}>count {count}</button>;
}

function Hooked({ options }: { options: Options }) {
  const state = usePersistedActor(machine, options);
  if (state.status === 'ready') {
    return (
      <p>
        {state.report.source} <Counter actorRef={state.actorRef} />
      </p>
    );
  }
  return <p>{state.status === 'error' ? `error ${state.error.code}` : 'restoring'}</p>;
}

const roots: Root[] = [];
let container: HTMLElement;
function render(node: React.ReactNode): Root {
  container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  root.render(node);
  roots.push(root);
  return root;
}
const text = () => container.textContent;
const click = () => container.querySelector('button')!.click();
let run = 0;
const newDb = () => indexedDbAdapter({ dbName: `react-${Date.now()}-${++run}` });
const settle = (ms = 250) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  for (const root of roots.splice(0)) root.unmount();
  document.body.replaceChildren();
});

it('StrictMode double mounting restores once, writes once and keeps one actor', async () => {
  const { adapter, calls } = counting(newDb());
  const errors: CheckpointError[] = [];
  let effectRuns = 0;
  function Probe() {
    useEffect(() => void effectRuns++, []);
    return null;
  }
  const root = render(
    <StrictMode>
      <Probe />
      <Hooked options={{ key: 'k', adapter, lock: true, onError: (e) => errors.push(e) }} />
    </StrictMode>,
  );
  await expect.poll(text).toBe('fresh count 0');
  await settle();
  // StrictMode really ran effects twice here (React development build).
  expect(effectRuns).toBe(2);
  expect({ write: calls.write, acquire: calls.acquire }).toEqual({ write: 1, acquire: 1 });

  click();
  click();
  await expect.poll(text).toBe('fresh count 2');
  root.unmount();
  // Unmount closes: pending changes are flushed and the lock is released.
  await expect.poll(() => calls.write).toBe(2);
  const lease = await adapter.acquire!('k');
  await lease.release();
  render(<Hooked options={{ key: 'k', adapter, lock: true }} />);
  await expect.poll(text).toBe('checkpoint count 2');
  expect(errors).toEqual([]);
});

it('PersistGate renders the fallback until restored, then the children with the restored actor', async () => {
  const { adapter, hold, release } = counting(newDb());
  const seeded = await persistActor(machine, { key: 'gate', adapter });
  for (let i = 0; i < 3; i++) seeded.actor.send({ type: 'INC' });
  const saved = await seeded.flush();
  await seeded.close();

  hold();
  render(
    <PersistGate logic={machine} options={{ key: 'gate', adapter }} fallback={<i>restoring…</i>}>
      {(actorRef, persisted) => (
        <p>
          seq {persisted.restored.seq} <Counter actorRef={actorRef} />
        </p>
      )}
    </PersistGate>,
  );
  await expect.poll(text).toBe('restoring…');
  await settle(50);
  expect(text()).toBe('restoring…');
  release();
  await expect.poll(text).toBe(`seq ${saved!.seq} count 3`);
});

it('reports a failed restore: the hook as status error, the gate through renderError', async () => {
  const adapter = newDb();
  const holder = await adapter.acquire!('busy');
  render(<Hooked options={{ key: 'busy', adapter, lock: true }} />);
  await expect.poll(text).toBe('error lock-held');
  render(
    <PersistGate
      logic={machine}
      options={{ key: 'busy', adapter, lock: true }}
      renderError={(error) => <b>gate {error.code}</b>}
    >
      {() => 'never'}
    </PersistGate>,
  );
  await expect.poll(text).toBe('gate lock-held');
  await holder.release();
});

it('a new key closes the old actor and starts another', async () => {
  const { adapter } = counting(newDb());
  let seen: Actor<typeof machine> | undefined;
  function Spy({ k }: { k: string }) {
    const state = usePersistedActor(machine, { key: k, adapter });
    seen = state.actorRef ?? seen;
    return <p>{state.status === 'ready' ? `${k} ${state.report.source}` : state.status}</p>;
  }
  const root = render(<Spy k="a" />);
  await expect.poll(text).toBe('a fresh');
  const first = seen!;
  root.render(<Spy k="b" />);
  await expect.poll(text).toBe('b fresh');
  expect(seen).not.toBe(first);
  await expect.poll(() => first.getSnapshot().status).toBe('stopped');
  await expect.poll(async () => (await adapter.keys()).sort()).toEqual(['a', 'b']);
});

it('a component remounted right after unmount waits for the old close: no conflict, nothing lost', async () => {
  const { adapter, hold, release } = counting(newDb());
  const errors: CheckpointError[] = [];
  const options: Options = {
    key: 'again',
    adapter,
    debounce: { wait: 1000, maxWait: 5000 },
    onError: (e) => void errors.push(e),
  };
  const first = render(<Hooked options={options} />);
  await expect.poll(text).toBe('fresh count 0');
  click();
  await expect.poll(text).toBe('fresh count 1');
  // The change is still in the debounce window, so only the close writes it; hold that write.
  hold('write');
  first.unmount();
  render(<Hooked options={options} />);
  await settle(100);
  expect(text()).toBe('restoring');
  release('write');
  await expect.poll(text).toBe('checkpoint count 1');
  click();
  await settle(50);
  expect(errors).toEqual([]);
});
