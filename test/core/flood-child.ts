// Child process of flood.test.ts: run under a small heap. Writes a good generation,
// then a newer one holding a flood of empty objects inside the byte cap, and restores.
import { assign, createMachine } from 'xstate';
import { persistActor } from '../../src/index.js';
import { encodeEnvelope } from '../../src/entries/adapter-kit.js';
import { memoryAdapter } from '../../adapters/memory/index.js';

const [mode = 'capped', countText = '4000000'] = process.argv.slice(2);
const count = Number(countText);
const machine = createMachine({
  id: 'flood',
  context: { n: 0 },
  on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
});
const adapter = memoryAdapter();
const first = await persistActor(machine, { key: 'k', adapter, flushOnExit: false });
first.actor.send({ type: 'INC' });
await first.flush();
await first.close();

const seq = (await adapter.list('k'))[0]?.seq ?? 0;
const payload = new TextEncoder().encode(
  `[{"snapshot":{"status":"active","value":{},"context":{"n":0,"flood":[${'{},'.repeat(count)}{}]},"children":{}},"timers":[]}]`,
);
const bytes = encodeEnvelope(
  { machine: 'flood', version: 1, seq: seq + 1, epoch: 0, createdAt: 1, codec: 'xsc1' },
  payload,
);
await adapter.write('k', { seq: seq + 1, epoch: 0, createdAt: 1, byteLength: bytes.length, bytes });

const limits = mode === 'uncapped' ? { maxValues: Number.POSITIVE_INFINITY } : undefined;
const p = await persistActor(machine, { key: 'k', adapter, flushOnExit: false, ...(limits ? { limits } : {}) });
const { seq: restored, rejected } = p.restored;
const n = p.actor.getSnapshot().context.n;
await p.close();
process.stdout.write(
  JSON.stringify({
    payloadBytes: payload.length,
    restored,
    n,
    rejected: rejected.map((r) => ({ seq: r.seq, code: r.code, message: r.message })),
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
  }),
);
