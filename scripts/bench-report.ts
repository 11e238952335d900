// Turns the JSON the benchmarks write (test/.tmp/bench/*.json) into docs/benchmarks.md
// (tables, ratios against the baseline of the same run, machine) and docs/benchmarks.svg
// (a bar chart the README shows). Run by `npm run bench` after `vitest bench`.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One benchmark file: its name (without `.json`), content and when it was measured. */
export interface BenchInput {
  readonly name: string;
  readonly data: unknown;
  readonly measuredAt: string;
}

/** The machine the numbers come from. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly os: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What each known file measures; files without an entry are shown under their name. */
const titles: Record<string, { title: string; about: string }> = {
  persist: {
    title: 'Persisted actor: throughput and restore',
    about:
      "Events per second through a persisted actor (memory adapter, and the fs adapter with durable writes; default debounce) against bare XState (the baseline, in the same interleaved rounds; `cpuRatio` the same ratio in CPU time, `worstRoundRatio` the lowest of any single round) and the recipe from XState's docs (serialize and store on every change); restore time against `JSON.parse` of the same bytes.",
  },
  codec: {
    title: 'Codec (`xsc1`)',
    about:
      'Encode and restore (envelope check + decode) against the JSON floor (`JSON.stringify` / `JSON.parse` of the same data) and `superjson`; plain data and rich data (Dates, Maps, Sets, BigInts). `ours` and `baseline`: median wall-clock ms per operation; `cpuRatio`: the same ratio in CPU time.',
  },
  fs: {
    title: 'File adapter: durable writes',
    about:
      'A checkpoint write that is durable when it resolves, against the fsync floor: the same bytes written raw to a temp file, fsynced, renamed, directory fsynced.',
  },
  'restore-many': {
    title: 'File adapter: restoring 10,000 actors',
    about:
      'Every actor of a store restored with `persistActor` (list, read, verify, decode, create, start; 32 in flight) against reading the same snapshots as JSON files with `JSON.parse`, and against that plus `createActor({ snapshot }).start()`; open file descriptors before and after.',
  },
  postgres: {
    title: 'PostgreSQL adapter',
    about: 'Saves with compare-and-set and fencing, and restore of the newest generation, against raw INSERT / SELECT.',
  },
  redis: {
    title: 'Redis adapter',
    about:
      'Saves with compare-and-set, fencing and a pub/sub notice (one Lua script), and restore of the newest generation (`readNewest`, one Lua script), against raw SET / GET of the same bytes.',
  },
  journal: {
    title: 'Journal mode',
    about:
      "Events per second with every event durable before `send` resolves (group commit), against a snapshot flush per event and bare XState; `groupCommit`: 1, 8 and 64 senders against each store's floor in the same round (fs: raw write + fdatasync of the same frames, one per group; PostgreSQL: one raw multi-row INSERT per group; IndexedDB: one raw readwrite transaction per group), `ratio` end to end and `storeOnlyRatio` for the same groups through the journal store alone; `ceilingRatio` is what a journal with no cost of its own could reach in the same closed loop (bare XState `actor.send`, `JSON.stringify` of the event, the store's raw durable call per group, one group in flight), and `journalVsCeiling` the journal against that ceiling; the background replay check against the live actor; replay time of a journal.",
  },
  compress: {
    title: 'Compression of large checkpoints',
    about:
      '`compress: { above: 0 }` (gzip through `CompressionStream`) against no compression, on rich snapshots: bytes stored, save (encode + envelope; then with a durable `fileAdapter` write) and restore (`decodeCheckpoint`: verify, inflate, decode). Times are ms per call from the fastest of interleaved rounds; `medianRatio` from the medians.',
  },
  indexeddb: {
    title: 'IndexedDB adapter (Chromium)',
    about: "A 100 KB write through the adapter against `idb-keyval`'s `set` of the same bytes.",
  },
  bullmq: {
    title: 'BullMQ jobs as persisted actors',
    about:
      'Jobs per second of a BullMQ Worker whose jobs are persisted actors (`processWithActor`, checkpoints in Redis with the lease and the job-lock check) against the same Worker checkpointing by hand with `job.updateData` after every step; 120 jobs of 10 steps, concurrency 8, median of interleaved rounds. Higher ratio is better.',
  },
  resumable: {
    title: 'Durable work (`fromResumable`)',
    about: 'Items per CPU second of a resumable batch, plain and persisted at different checkpoint intervals.',
  },
};
const order = [
  'persist',
  'codec',
  'fs',
  'restore-many',
  'compress',
  'journal',
  'postgres',
  'indexeddb',
  'resumable',
  'bullmq',
];

/** `1234567` → `1,234,567`; ratios to two decimals; small times to three significant digits. */
function num(value: number, field = ''): string {
  if (!Number.isFinite(value)) return String(value);
  if (/ratio|vs/i.test(field)) return `${value.toFixed(2)}x`;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function cell(value: unknown, field = ''): string {
  if (typeof value === 'number') return num(value, field);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === undefined || value === null) return '';
  // Nested timings ({ wall, cpu, minWall }): the wall-clock median is the headline.
  if (isObj(value) && typeof value['wall'] === 'number') return num(value['wall']);
  if (isObj(value))
    return Object.entries(value)
      .map(([k, v]) => `${k} ${cell(v, k)}`)
      .join(', ');
  return (typeof value === 'string' ? value : JSON.stringify(value)).replaceAll('|', '\\|');
}

function table(rows: Obj[]): string[] {
  const columns: string[] = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map((c) => (rows.some((r) => typeof r[c] === 'number') ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c], c)).join(' | ')} |`),
  ];
}

/** Any benchmark JSON as markdown: `rows` arrays and maps of results become tables, scalars a line of notes. */
export function renderSection(input: BenchInput): string[] {
  const known = titles[input.name];
  const out = [`## ${known?.title ?? input.name}`, ''];
  if (known) out.push(known.about, '');
  const notes: string[] = [];
  const walk = (value: unknown, label: string | undefined) => {
    if (Array.isArray(value) && value.every(isObj)) {
      if (label && label !== 'rows') out.push(`**${label}**`, '');
      out.push(...table(value), '');
      return;
    }
    if (!isObj(value)) return;
    // `measuredAt` is shown anyway; `sink` only keeps the optimizer from removing benchmark work.
    const entries = Object.entries(value).filter(([k]) => k !== 'measuredAt' && k !== 'sink');
    const scalars = entries.filter(([, v]) => !isObj(v) && !Array.isArray(v));
    const nested = entries.filter(([, v]) => isObj(v) || Array.isArray(v));
    const results = nested.every(
      ([, v]) => isObj(v) && Object.values(v).every((x) => !isObj(x) || typeof x['wall'] === 'number'),
    );
    const keySets = nested.map(([, v]) => Object.keys(v as Obj));
    const disjoint = keySets.every((keys, i) =>
      keySets.slice(i + 1).every((other) => !other.some((k) => keys.includes(k))),
    );
    if (nested.length > 0 && results && !(nested.length > 1 && disjoint)) {
      // A map of named results sharing their fields: one row each.
      if (label) out.push(`**${label}**`, '');
      out.push(...table(nested.map(([name, v]) => ({ '': name, ...(v as Obj) }))), '');
    } else {
      for (const [k, v] of nested) walk(v, label ? `${label} / ${k}` : k);
    }
    if (scalars.length > 0) {
      if (nested.length === 0 && label) {
        // Values formatted by their own name (ratios as ratios).
        out.push(`**${label}**`, '', ...table(scalars.map(([k, v]) => ({ '': k, value: cell(v, k) }))), '');
      } else notes.push(...scalars.map(([k, v]) => `${k}: ${cell(v, k)}`));
    }
  };
  walk(input.data, undefined);
  out.push(`Measured ${input.measuredAt}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`, '');
  return out;
}

/** The whole docs/benchmarks.md. */
export function renderReport(inputs: readonly BenchInput[], machine: Machine, generatedAt: string): string {
  const sorted = [...inputs].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  return [
    '# Benchmarks',
    '',
    '![Benchmark chart](benchmarks.svg)',
    '',
    'Every number is measured against a baseline in the same run (interleaved rounds, medians), so ratios hold across',
    'machines better than absolute times do. A ratio is ours ÷ baseline for times (below 1 is faster) and ours ÷ baseline',
    'for rates in the throughput tables (below 1 is slower). `npm run bench` runs the benchmarks in `test/bench/` and',
    'writes this page; the numbers below come from the JSON they left in `test/.tmp/bench/`.',
    '',
    `Generated ${generatedAt} on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGb} GB), Node ${machine.node}, ${machine.os}.`,
    'The machine was shared with other work while measuring: treat single numbers as noisy and ratios as the signal.',
    '',
    ...sorted.flatMap(renderSection),
  ].join('\n');
}

const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly kind: 'ours' | 'baseline' | 'recipe';
  /** Ours against this bar as the benchmark computed it (median of paired ratios); else from the two values. */
  readonly ratio?: number;
}
interface Panel {
  readonly title: string;
  readonly unit: string;
  /** Lower is better (times) or higher is better (rates). */
  readonly better: 'lower' | 'higher';
  readonly bars: Bar[];
}

const find = (inputs: readonly BenchInput[], name: string) => inputs.find((i) => i.name === name)?.data;
const numAt = (value: unknown, ...path: string[]): number | undefined => {
  let v: unknown = value;
  for (const p of path) v = isObj(v) ? v[p] : undefined;
  return typeof v === 'number' ? v : undefined;
};

/** The comparisons the chart shows (persist, codec, fs flush, journal vs its floor), from whatever of the inputs is there. */
export function chartPanels(inputs: readonly BenchInput[]): Panel[] {
  const panels: Panel[] = [];
  const throughput = numAt(find(inputs, 'persist'), 'throughput', 'bare', 'eventsPerSecond');
  const persist = find(inputs, 'persist');
  if (throughput !== undefined) {
    const rate = (name: string) => numAt(persist, 'throughput', name, 'eventsPerSecond');
    const bars: Bar[] = [];
    for (const [name, label, kind] of [
      ['bare', 'bare XState (no persistence)', 'baseline'],
      ['persisted', 'persistActor', 'ours'],
      ['persisted (fs)', 'persistActor, fs adapter', 'ours'],
      ['recipe (JSON)', 'docs recipe, JSON per event', 'recipe'],
      ['recipe (superjson)', 'docs recipe, superjson per event', 'recipe'],
    ] as const) {
      const value = rate(name);
      if (value !== undefined) bars.push({ label, value, kind });
    }
    panels.push({ title: 'Events per second (memory and fs adapters)', unit: 'events/s', better: 'higher', bars });
  }
  const codec = find(inputs, 'codec');
  if (isObj(codec) && Array.isArray(codec['rows'])) {
    const rows = codec['rows'] as Obj[];
    const pick = (baseline: string) =>
      rows.find(
        (r) =>
          r['size'] === '100 KB' && r['kind'] === 'rich' && r['metric'] === 'encode' && r['baselineName'] === baseline,
      );
    const json = pick('JSON.stringify');
    const sj = pick('superjson.stringify');
    const ours = numAt(json ?? sj, 'ours', 'wall');
    if (ours !== undefined) {
      const bars: Bar[] = [{ label: 'xsc1 codec', value: ours, kind: 'ours' }];
      const floor = numAt(json, 'baseline', 'wall');
      if (floor !== undefined)
        bars.push({ label: 'JSON.stringify (floor, loses types)', value: floor, kind: 'baseline' });
      const superjson = numAt(sj, 'baseline', 'wall');
      if (superjson !== undefined) bars.push({ label: 'superjson.stringify', value: superjson, kind: 'recipe' });
      panels.push({ title: 'Encode 100 KB of rich data', unit: 'ms', better: 'lower', bars });
    }
  }
  const fs = find(inputs, 'fs');
  if (isObj(fs) && Array.isArray(fs['rows'])) {
    const flush = (fs['rows'] as Obj[]).find((r) => typeof r['metric'] === 'string' && r['metric'].startsWith('flush'));
    if (flush && typeof flush['oursMs'] === 'number' && typeof flush['baselineMs'] === 'number') {
      panels.push({
        title: `Durable ${String(flush['metric'])} (file adapter)`,
        unit: 'ms',
        better: 'lower',
        bars: [
          { label: 'fileAdapter write', value: flush['oursMs'], kind: 'ours' },
          {
            label: 'fsync floor (tmp + fsync + rename)',
            value: flush['baselineMs'],
            kind: 'baseline',
            ...(typeof flush['ratio'] === 'number' ? { ratio: flush['ratio'] } : {}),
          },
        ],
      });
    }
  }
  const journal = find(inputs, 'journal');
  const groupRows = isObj(journal) && isObj(journal['groupCommit']) ? journal['groupCommit']['rows'] : undefined;
  const fs64 = Array.isArray(groupRows)
    ? (groupRows as Obj[]).find((r) => r['metric'] === 'fs, 64 senders')
    : undefined;
  if (fs64 && typeof fs64['journalPerSecond'] === 'number' && typeof fs64['baselinePerSecond'] === 'number') {
    panels.push({
      title: 'Journal, 64 senders, each event durable before send resolves (fs)',
      unit: 'events/s',
      better: 'higher',
      bars: [
        { label: 'persistJournaled', value: fs64['journalPerSecond'], kind: 'ours' },
        {
          label: 'raw write + fdatasync, same frames',
          value: fs64['baselinePerSecond'],
          kind: 'baseline',
          ...(typeof fs64['ratio'] === 'number' ? { ratio: fs64['ratio'] } : {}),
        },
      ],
    });
  }
  return panels;
}

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const colors = { ours: '#2563eb', baseline: '#94a3b8', recipe: '#ea580c' } as const;

/** docs/benchmarks.svg: one group of horizontal bars per panel, each scaled to its largest bar. */
export function renderChart(panels: readonly Panel[], caption: string): string {
  const width = 760;
  const labelWidth = 250;
  const barArea = width - labelWidth - 210;
  const rowHeight = 24;
  let y = 34;
  const parts: string[] = [];
  for (const panel of panels) {
    parts.push(
      `<text x="16" y="${y}" class="title">${escapeXml(panel.title)} <tspan class="note">(${panel.better} is better)</tspan></text>`,
    );
    y += 10;
    const max = Math.max(...panel.bars.map((b) => b.value), Number.MIN_VALUE);
    const ours = panel.bars.find((b) => b.kind === 'ours');
    for (const bar of panel.bars) {
      const w = Math.max(1, Math.round((bar.value / max) * barArea));
      const ratio = ours && bar !== ours ? ` · ours ${num(bar.ratio ?? ours.value / bar.value, 'ratio')}` : '';
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 16}" class="label" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${rowHeight - 8}" rx="2" fill="${colors[bar.kind]}"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + 16}" class="value">${escapeXml(`${num(bar.value)} ${panel.unit}${ratio}`)}</text>`,
      );
      y += rowHeight;
    }
    y += 26;
  }
  if (panels.length === 0) {
    parts.push(`<text x="16" y="${y}" class="label">No benchmark results: run npm run bench.</text>`);
    y += 30;
  }
  parts.push(`<text x="16" y="${y - 6}" class="note">${escapeXml(caption)}</text>`);
  const height = y + 6;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="xstate-checkpoint benchmarks">`,
    '<style>text{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;fill:#1f2937}.title{font-size:14px;font-weight:600}.label{font-size:12px}.value{font-size:12px;fill:#374151}.note{font-size:11px;font-weight:400;fill:#6b7280}</style>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** The machine this process runs on. */
export function currentMachine(): Machine {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown CPU',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
  };
}

/** Reads test/.tmp/bench/*.json under `root`. */
export async function readInputs(root: string): Promise<BenchInput[]> {
  const dir = join(root, 'test/.tmp/bench');
  const names = (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (file) => {
      const path = join(dir, file);
      const data: unknown = JSON.parse(await readFile(path, 'utf8'));
      const stamped = isObj(data) && typeof data['measuredAt'] === 'string' ? data['measuredAt'] : undefined;
      return { name: file.slice(0, -5), data, measuredAt: stamped ?? (await stat(path)).mtime.toISOString() };
    }),
  );
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const inputs = await readInputs(root);
  if (inputs.length === 0) {
    console.error('bench-report: no results in test/.tmp/bench/; run `npm run bench` (vitest bench writes them).');
    process.exitCode = 1;
    return;
  }
  const machine = currentMachine();
  const generatedAt = new Date().toISOString().slice(0, 10);
  await writeFile(join(root, 'docs/benchmarks.md'), renderReport(inputs, machine, generatedAt));
  const caption = `${generatedAt} · ${machine.cpu}, ${machine.cores} cores · Node ${machine.node} · ratios against baselines of the same run`;
  await writeFile(join(root, 'docs/benchmarks.svg'), renderChart(chartPanels(inputs), caption));
  console.log(`bench-report: docs/benchmarks.md and docs/benchmarks.svg from ${inputs.map((i) => i.name).join(', ')}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
