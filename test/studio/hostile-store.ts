import type { CheckpointAdapter } from 'xstate-checkpoint';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { crc32 } from '../../src/checksum.js';
import { encodeText, taggedJsonCodec } from '../../src/codec/index.js';
import { encodeEnvelope } from '../../src/envelope.js';

/**
 * Stored data an attacker who can write to the store would craft, for the
 * studio's hostile tests (API in Node, the page in Chromium). Every string
 * the page draws carries {@link XSS}: markup, a `</script>`, a `javascript:` URL.
 */
export const XSS = `<img src=x onerror="window.__xscPwned=1"></script><script>window.__xscPwned=2</script><a href="javascript:window.__xscPwned=3">x</a>`;

/** The keys of the hostile store, by what each holds. */
export const HOSTILE = {
  /** Markup in the key, machine id, state value, context strings, Map keys, quarantine reason. */
  markup: `${XSS}-key`,
  /** A key that looks like a path out of the store. */
  dots: '../../etc/passwd',
  /** A key of 1,000 characters. */
  long: `long-${'x'.repeat(995)}`,
  /** A state value that is a DAG of shared objects: 2^60 paths through 120 objects. */
  dag: 'dag-state',
  /** A state value and context that contain themselves. */
  cycle: 'cycle-state',
  /** A context of 300 nested levels and of 200 × 200 objects. */
  deep: 'deep-context',
  /** A generation written (its header says) at 2^53 - 1 ms, past what a Date holds, with a timer due then. */
  farFuture: 'far-future',
  /** Generations 1 and 2 whose contexts are the same 40-level DAG (2^40 paths), different at the bottom. */
  dagDiff: 'dag-diff',
} as const;

/** Header fields of the journal position a reader must refuse, as raw header JSON. */
export const BAD_JOURNAL = {
  negative: '-1',
  float: '1.5',
  huge: '1152921504606846976', // 2^60: not a safe integer
  string: '"7"',
} as const;

const text = new TextEncoder();

/** A checkpoint payload (tagged JSON) around a snapshot. */
export function payload(snapshot: Record<string, unknown>, timers: unknown[] = []): Uint8Array {
  return text.encode(encodeText({ snapshot: { status: 'active', children: {}, ...snapshot }, timers }));
}

/** An envelope the way the library writes it. */
export function envelope(seq: number, body: Uint8Array, machine = 'order', createdAt = 1_700_000_000_000): Uint8Array {
  return encodeEnvelope({ machine, version: 1, seq, epoch: 0, createdAt, codec: taggedJsonCodec.id }, body);
}

/**
 * An envelope with checksums right but a header the writer would never
 * write: `extra` is spliced raw into the header JSON (`"journal":-1`).
 */
export function rawEnvelope(seq: number, body: Uint8Array, extra: string): Uint8Array {
  const fields = {
    format: 1,
    machine: 'order',
    version: 1,
    seq,
    epoch: 0,
    createdAt: 1_700_000_000_000,
    codec: taggedJsonCodec.id,
    length: body.length,
    crc: crc32(body),
  };
  const header = text.encode(`${JSON.stringify(fields).slice(0, -1)},${extra}}`);
  const out = new Uint8Array(12 + header.length + body.length);
  out.set([0x58, 0x53, 0x43, 0x4b, 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(6, header.length);
  view.setUint32(8, crc32(header));
  out.set(header, 12);
  out.set(body, 12 + header.length);
  return out;
}

/** `{ a: v, b: v }` nested `levels` times: `2^levels` paths through `levels` objects. */
export function dag(levels: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v, b: v };
  return v;
}

function nested(levels: number): unknown {
  let v: unknown = XSS;
  for (let i = 0; i < levels; i++) v = { [`l${i}`]: v };
  return v;
}

async function put(adapter: CheckpointAdapter, key: string, seq: number, bytes: Uint8Array): Promise<void> {
  await adapter.write(key, { seq, epoch: 0, byteLength: bytes.length, createdAt: 1_700_000_000_000, bytes });
}

/** Fills a memory store with every hostile generation above, and one bad-journal key per {@link BAD_JOURNAL}. */
export async function hostileStore(adapter: CheckpointAdapter = memoryAdapter()): Promise<CheckpointAdapter> {
  const rich = {
    value: { [XSS]: XSS },
    context: {
      note: XSS,
      url: 'javascript:alert(1)',
      prices: new Map<unknown, unknown>([
        [XSS, 1],
        [{ [XSS]: XSS }, XSS],
      ]),
      tags: new Set([XSS]),
      at: new Date(Number.NaN),
      failure: Object.assign(new Error(XSS), { name: XSS }),
      [XSS]: { [XSS]: XSS },
    },
    children: { [XSS]: { src: XSS, snapshot: { status: XSS, value: XSS } } },
  };
  const timer = {
    id: XSS,
    event: { type: XSS, note: XSS },
    source: [XSS],
    target: [XSS],
    deadline: 1_700_000_060_000,
  };
  await put(adapter, HOSTILE.markup, 1, envelope(1, payload(rich, [timer]), XSS));
  await put(adapter, HOSTILE.markup, 2, envelope(2, payload({ ...rich, context: { note: `${XSS}!` } }), XSS));
  await put(adapter, HOSTILE.markup, 3, envelope(3, payload(rich), XSS));
  await adapter.quarantine(HOSTILE.markup, 3, XSS);
  for (const key of [HOSTILE.dots, HOSTILE.long]) {
    await put(adapter, key, 1, envelope(1, payload({ value: 'idle', context: {} })));
  }
  await put(adapter, HOSTILE.dag, 1, envelope(1, payload({ value: dag(60, 'leaf'), context: {} })));
  const value: Record<string, unknown> = {};
  value['self'] = value;
  const context: Record<string, unknown> = { list: [] };
  (context['list'] as unknown[]).push(context);
  await put(adapter, HOSTILE.cycle, 1, envelope(1, payload({ value, context })));
  const wide = Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [
      `k${i}`,
      Object.fromEntries(Array.from({ length: 200 }, (_, j) => [`j${j}`, { i, j }])),
    ]),
  );
  await put(adapter, HOSTILE.deep, 1, envelope(1, payload({ value: 'idle', context: { deep: nested(300), wide } })));
  await put(adapter, HOSTILE.dagDiff, 1, envelope(1, payload({ value: 'idle', context: dag(40, 1) })));
  await put(adapter, HOSTILE.dagDiff, 2, envelope(2, payload({ value: 'idle', context: dag(40, 2) })));
  const far = Number.MAX_SAFE_INTEGER;
  const farTimer = { ...timer, id: 't', event: { type: 'LATE' }, deadline: far };
  const farBytes = envelope(
    1,
    payload({ value: 'idle', context: { at: new Date(8.64e15) } }, [farTimer]),
    'order',
    far,
  );
  await adapter.write(HOSTILE.farFuture, {
    seq: 1,
    epoch: 0,
    byteLength: farBytes.length,
    createdAt: far,
    bytes: farBytes,
  });
  for (const [name, raw] of Object.entries(BAD_JOURNAL)) {
    await put(
      adapter,
      `journal-${name}`,
      1,
      rawEnvelope(1, payload({ value: 'idle', context: {} }), `"journal":${raw}`),
    );
  }
  return adapter;
}
