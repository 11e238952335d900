import { expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { persistActor } from 'xstate-checkpoint';
import { encodeEnvelope, readEnvelopeHeader } from 'xstate-checkpoint/adapter-kit';
import { indexedDbAdapter } from 'xstate-checkpoint/adapters/indexeddb';

const machine = createMachine({
  id: 'notes',
  context: { notes: [] as Array<{ text: string; at: Date }> },
  on: {
    ADD: {
      actions: assign({
        notes: ({ context }) => [
          ...context.notes,
          ...Array.from({ length: 2000 }, (_, i) => ({ text: `note ${i} of the day`, at: new Date(i * 60_000) })),
        ],
      }),
    },
  },
});

it("compresses large checkpoints with Chromium's CompressionStream and restores them; a bomb is too-large", async () => {
  const adapter = indexedDbAdapter({ dbName: `xsc-compress-${Date.now()}` });
  const p = await persistActor(machine, { key: 'n', adapter, flushOnExit: false, compress: { above: 16 * 1024 } });
  p.actor.send({ type: 'ADD' });
  const info = (await p.flush())!;
  await p.close();
  const stored = (await adapter.read('n', info.seq))!;
  const header = readEnvelopeHeader(stored);
  expect(header).toMatchObject({ format: 2, compression: 'gzip' });
  expect(stored.length).toBeLessThan(header.rawLength! / 4);

  // 64 MiB of zeros, gzipped in the page, claiming to be 1 KB.
  const zeros = new Blob([new Uint8Array(64 * 1024 * 1024)]).stream().pipeThrough(new CompressionStream('gzip'));
  const bomb = new Uint8Array(await new Response(zeros).arrayBuffer());
  const fields = { machine: 'notes', version: 1, seq: info.seq + 1, epoch: 0, createdAt: Date.now(), codec: 'xsc1' };
  const bytes = encodeEnvelope({ ...fields, compression: 'gzip', rawLength: 1024 }, bomb);
  await adapter.write('n', { seq: info.seq + 1, epoch: 0, createdAt: 0, byteLength: bytes.length, bytes });

  const again = await persistActor(machine, { key: 'n', adapter, flushOnExit: false });
  expect(again.restored.rejected).toEqual([expect.objectContaining({ seq: info.seq + 1, code: 'too-large' })]);
  expect(again.restored).toMatchObject({ source: 'checkpoint', seq: info.seq });
  expect(again.actor.getSnapshot().context.notes[1999]!.at).toEqual(new Date(1999 * 60_000));
  await again.close();
  await adapter.dispose();
});
