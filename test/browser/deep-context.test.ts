import { expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { DEFAULT_LIMITS, persistActor, taggedJsonCodec } from 'xstate-checkpoint';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';

type Node = { readonly i: number; readonly at: Date; readonly next: Node | null };
const listOf = (length: number) => {
  let list: Node | null = null;
  for (let i = 0; i < length; i++) list = { i, at: new Date(i), next: list };
  return list;
};

// The default depth cap must fit Chromium's stack as it fits Node's: a value nested exactly
// that deep encodes and decodes, and a persisted actor holding one saves and restores.
it('encodes and decodes a value nested exactly DEFAULT_LIMITS.maxDepth deep in Chromium', () => {
  let nested: unknown = 1;
  for (let i = 0; i < DEFAULT_LIMITS.maxDepth; i++) nested = [nested];
  const bytes = taggedJsonCodec.encode(nested);
  expect(JSON.stringify(taggedJsonCodec.decode(bytes))).toBe(JSON.stringify(nested));
});

it('persists and restores a context nested 2,000 levels deep through IndexedDB', async () => {
  const list = listOf(2000);
  const deep = createMachine({ types: {} as { context: { list: Node | null } }, id: 'deep', context: { list } });
  const dbName = `xsc-deep-${Math.random().toString(36).slice(2)}`;
  const adapter = indexedDbAdapter({ dbName });
  const a = await persistActor(deep, { key: 'deep', adapter, flushOnExit: false });
  a.actor.send({ type: 'ANY' });
  expect(await a.flush()).toMatchObject({ seq: 1 });
  await a.close();
  const b = await persistActor(deep, { key: 'deep', adapter, flushOnExit: false });
  expect(b.restored.source).toBe('checkpoint');
  // Compared as text: a deep equality walk of 2,000 levels is the test runner's problem, not ours.
  expect(JSON.stringify(b.actor.getSnapshot().context.list)).toBe(JSON.stringify(list));
  expect(b.actor.getSnapshot().context.list?.at).toBeInstanceOf(Date);
  await b.close();
  await adapter.dispose?.();
  indexedDB.deleteDatabase(dbName);
});
