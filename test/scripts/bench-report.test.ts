import { describe, expect, it } from 'vitest';
import { chartPanels, renderChart, renderReport, type BenchInput } from '../../scripts/bench-report.js';

const machine = { cpu: 'Test CPU', cores: 4, memoryGb: 8, node: 'v20.0.0', os: 'linux' };
const inputs: BenchInput[] = [
  {
    name: 'persist',
    measuredAt: '2026-01-01T00:00:00.000Z',
    data: {
      throughput: {
        bare: { eventsPerSecond: 100_000, ratio: 1 },
        persisted: { eventsPerSecond: 90_000, ratio: 0.9 },
        'recipe (JSON)': { eventsPerSecond: 20_000, ratio: 0.2 },
      },
    },
  },
  {
    name: 'codec',
    measuredAt: '2026-01-02T00:00:00.000Z',
    data: {
      rows: [
        {
          size: '100 KB',
          kind: 'rich',
          metric: 'encode',
          ours: { wall: 6, cpu: 5 },
          baselineName: 'JSON.stringify',
          baseline: { wall: 8, cpu: 7 },
          ratio: 0.75,
        },
        {
          size: '100 KB',
          kind: 'rich',
          metric: 'encode',
          ours: { wall: 6, cpu: 5 },
          baselineName: 'superjson.stringify',
          baseline: { wall: 120, cpu: 110 },
          ratio: 0.05,
        },
      ],
    },
  },
  { name: 'fs', measuredAt: 'x', data: { rows: [{ metric: 'flush 1 KB', oursMs: 7, baselineMs: 6, ratio: 1.17 }] } },
  {
    name: 'journal',
    measuredAt: 'z',
    data: {
      groupCommit: {
        rows: [
          { metric: 'fs, 1 sender', journalPerSecond: 900, baselinePerSecond: 1000, ratio: 0.9 },
          { metric: 'fs, 64 senders', journalPerSecond: 40_000, baselinePerSecond: 50_000, ratio: 0.8 },
        ],
      },
    },
  },
  { name: 'something-new', measuredAt: 'y', data: { results: { a: { ms: 1.5 }, b: { ms: 3 } }, items: 10 } },
];

describe('bench report', () => {
  it('writes tables with ratios, the machine and a section for every file, known or not', () => {
    const md = renderReport(inputs, machine, '2026-01-03');
    expect(md).toContain('Generated 2026-01-03 on Test CPU (4 cores, 8 GB), Node v20.0.0, linux.');
    expect(md).toContain('| persisted | 90,000 | 0.90x |');
    expect(md).toContain('| 100 KB | rich | encode | 6 | superjson.stringify | 120 | 0.05x |');
    expect(md).toContain('| flush 1 KB | 7 | 6 | 1.17x |');
    expect(md).toContain('## something-new');
    expect(md).toContain('| b | 3 |');
    expect(md).toContain('Measured y; items: 10.');
    // Known benchmarks first, in a fixed order.
    expect(md.indexOf('## Persisted actor')).toBeLessThan(md.indexOf('## Codec'));
    expect(md.indexOf('## Codec')).toBeLessThan(md.indexOf('## File adapter'));
  });

  it('charts persisted vs bare vs recipe, codec vs JSON floor vs superjson, flush vs fsync floor, journal vs its floor', () => {
    const panels = chartPanels(inputs);
    expect(panels.map((p) => p.bars.map((b) => b.value))).toEqual([
      [100_000, 90_000, 20_000],
      [6, 8, 120],
      [7, 6],
      [40_000, 50_000],
    ]);
    const svg = renderChart(panels, 'caption & more');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(1 + 3 + 3 + 2 + 2);
    expect(svg).toContain('50,000 events/s · ours 0.80x');
    expect(svg).toContain('90,000 events/s');
    expect(svg).toContain('20,000 events/s · ours 4.50x');
    expect(svg).toContain('6 ms · ours 1.17x');
    expect(svg).toContain('caption &amp; more');
    // The largest bar of each panel has the full width; the others are in proportion.
    expect(svg).toContain('width="300" height="16"');
    expect(svg).toContain('width="270" height="16"');
  });

  it('draws a placeholder without results', () => {
    expect(renderChart(chartPanels([]), 'c')).toContain('No benchmark results');
  });
});
