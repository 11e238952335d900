// XState-like persisted snapshots for the benchmarks: an order whose context is
// about a given size of JSON; "rich" uses Dates, Maps and Sets where "plain" uses
// strings, objects and arrays. Deterministic (seeded), so runs compare.

/** `plain`: JSON data only; `rich`: many Dates, Maps and Sets. */
export type Kind = 'plain' | 'rich';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['alpha', 'bravo', 'cargo', 'delta', 'ember', 'fjord', 'gamma', 'harbor', 'indigo', 'juniper'];

/** One order line; `rich` uses Date, Set and Map where `plain` uses strings, arrays and objects. */
function line(i: number, r: () => number, kind: Kind): Record<string, unknown> {
  const at = (offset: number): Date | string => {
    const d = new Date(1_700_000_000_000 + Math.floor(r() * 1e10) + offset);
    return kind === 'rich' ? d : d.toISOString();
  };
  const word = (): string => WORDS[Math.floor(r() * WORDS.length)]!;
  const tags = [word(), word(), word()];
  const attrs: Array<[string, string | number]> = [
    ['color', word()],
    ['size', Math.floor(r() * 50)],
  ];
  return {
    id: `line-${i}`,
    sku: `SKU-${Math.floor(r() * 1e6)}`,
    name: `${word()} ${word()}`,
    qty: 1 + Math.floor(r() * 9),
    price: Math.round(r() * 100_000) / 100,
    discount: r() < 0.5 ? null : Math.round(r() * 20) / 100,
    gift: r() < 0.2,
    tags: kind === 'rich' ? new Set(tags) : tags,
    attrs: kind === 'rich' ? new Map(attrs) : Object.fromEntries(attrs),
    createdAt: at(0),
    updatedAt: at(3_600_000),
    events: [{ type: 'added', at: at(60_000) }],
  };
}

/** A persisted XState snapshot (`actor.getPersistedSnapshot()` shape) whose context is about `bytes` of JSON. */
export function snapshot(bytes: number, kind: Kind): Record<string, unknown> {
  const r = random(bytes + (kind === 'rich' ? 1 : 0));
  const lines: Array<Record<string, unknown>> = [];
  const context = {
    orderId: 'order-42',
    customer: { id: 'c-7', name: 'Ada', email: 'ada@example.com', vip: true },
    total: 0,
    lines,
    note: '',
  };
  let size = JSON.stringify(context).length;
  while (size < bytes) {
    const next = line(lines.length, r, kind);
    lines.push(next);
    size += JSON.stringify(next).length + 1;
  }
  return {
    status: 'active',
    value: { checkout: { payment: 'pending' }, ui: 'idle' },
    historyValue: {},
    context,
    children: {},
  };
}
