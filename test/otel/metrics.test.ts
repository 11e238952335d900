import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { CheckpointError, persistActor, type CheckpointAdapter } from 'xstate-checkpoint';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';
import { checkpointMetrics, METRIC_NAMES, restoreOutcome } from 'xstate-checkpoint/otel';

const counter = createMachine({
  id: 'counter',
  context: { count: 0 },
  on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});

let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let provider: MeterProvider;
beforeEach(() => {
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when the test asks (forceFlush).
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  provider = new MeterProvider({ readers: [reader] });
});
afterEach(async () => {
  await provider.shutdown();
});

async function collect(): Promise<Map<string, MetricData>> {
  await reader.forceFlush();
  const out = new Map<string, MetricData>();
  for (const rm of exporter.getMetrics()) {
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.descriptor.name, m);
  }
  exporter.reset();
  return out;
}
/** Sum points as "attr=value,... -> value". */
const sums = (m: MetricData | undefined) =>
  Object.fromEntries(
    ((m?.dataPoints ?? []) as Array<DataPoint<number>>).map((p) => [JSON.stringify(p.attributes), p.value]),
  );
const histogram = (m: MetricData | undefined) => (m?.dataPoints[0] as DataPoint<Histogram> | undefined)?.value;

const options = (adapter: CheckpointAdapter, onEvent: ReturnType<typeof checkpointMetrics>) =>
  ({ key: 'shop:c-1', adapter, flushOnExit: false, onEvent, retain: { latest: 2 } }) as const;

describe('checkpointMetrics (xstate-checkpoint/otel) against the SDK in-memory reader', () => {
  it('counts saves, records their duration and size, counts prunes; the key is no attribute by default', async () => {
    const onEvent = checkpointMetrics({ meter: provider.getMeter('test') });
    const adapter = memoryAdapter();
    const p = await persistActor(counter, options(adapter, onEvent));
    for (let i = 0; i < 4; i++) {
      p.actor.send({ type: 'INC' });
      await p.flush();
    }
    await p.close();
    const m = await collect();
    expect(sums(m.get(METRIC_NAMES.saves))).toEqual({ '{}': 4 });
    expect(m.get(METRIC_NAMES.saves)!.descriptor.unit).toBe('{save}');
    const size = histogram(m.get(METRIC_NAMES.size))!;
    const stored = await adapter.list('shop:c-1');
    expect(size.count).toBe(4);
    expect(size.max).toBe(Math.max(...stored.map((g) => g.byteLength)));
    expect(m.get(METRIC_NAMES.size)!.descriptor.unit).toBe('By');
    expect(histogram(m.get(METRIC_NAMES.saveDuration))!.count).toBe(4);
    expect(m.get(METRIC_NAMES.saveDuration)!.descriptor.unit).toBe('s');
    expect(sums(m.get(METRIC_NAMES.pruned))).toEqual({ '{}': 2 });
    expect(sums(m.get(METRIC_NAMES.restores))).toEqual({ '{"xstate_checkpoint.restore.outcome":"empty"}': 1 });
  });

  it('counts restores by outcome and quarantines by error.type', async () => {
    const onEvent = checkpointMetrics({ meter: provider.getMeter('test') });
    const adapter = memoryAdapter();
    const first = await persistActor(counter, options(adapter, onEvent));
    first.actor.send({ type: 'INC' });
    await first.flush();
    await first.close();
    // Clean restore of the newest generation.
    await (await persistActor(counter, options(adapter, onEvent))).close();
    // A damaged newest generation: quarantined, restored from the one before.
    const newest = (await adapter.list('shop:c-1'))[0]!;
    const bad = (await adapter.read('shop:c-1', newest.seq))!.slice();
    bad[bad.length - 2]! ^= 0x01;
    await adapter.write('shop:c-1', { ...newest, seq: newest.seq + 1, bytes: bad });
    await (await persistActor(counter, options(adapter, onEvent))).close();
    // Every generation damaged: a fresh start.
    const other = memoryAdapter();
    await other.write('shop:c-1', { ...newest, seq: 1, bytes: bad });
    await (await persistActor(counter, options(other, onEvent))).close();

    const m = await collect();
    const outcome = (o: string) => JSON.stringify({ 'xstate_checkpoint.restore.outcome': o });
    expect(sums(m.get(METRIC_NAMES.restores))).toEqual({
      [outcome('empty')]: 1,
      [outcome('restored')]: 1,
      [outcome('fallback')]: 1,
      [outcome('failed')]: 1,
    });
    expect(sums(m.get(METRIC_NAMES.quarantines))).toEqual({ '{"error.type":"corrupt"}': 2 });
    const durations = m.get(METRIC_NAMES.restoreDuration)!.dataPoints as Array<DataPoint<Histogram>>;
    expect(durations.reduce((n, p) => n + p.value.count, 0)).toBe(4);
  });

  it('counts failed writes by error.type, adds the key only when asked, and static attributes always', async () => {
    const onEvent = checkpointMetrics({
      meter: provider.getMeter('test'),
      key: (key) => key.split(':')[0],
      attributes: { 'xstate_checkpoint.adapter': 'flaky' },
    });
    const inner = memoryAdapter();
    let fail = 2;
    const adapter: CheckpointAdapter = {
      ...inner,
      async write(key, record) {
        if (fail-- > 0) throw new CheckpointError('storage-full', { key, adapter: 'flaky' });
        return inner.write(key, record);
      },
    };
    const p = await persistActor(counter, { ...options(adapter, onEvent), onError: () => undefined });
    await p.flush().catch(() => undefined);
    await p.flush().catch(() => undefined);
    p.actor.send({ type: 'INC' });
    await p.flush();
    await p.close();
    const m = await collect();
    const a = { 'xstate_checkpoint.adapter': 'flaky', 'xstate_checkpoint.key': 'shop' };
    expect(sums(m.get(METRIC_NAMES.saveErrors))).toEqual({
      [JSON.stringify({ ...a, 'error.type': 'storage-full' })]: 2,
    });
    expect(sums(m.get(METRIC_NAMES.saves))).toEqual({ [JSON.stringify(a)]: 1 });
  });

  it('restoreOutcome names the four ways a restore ends', () => {
    const rejected = [{ seq: 2, code: 'corrupt', message: '', quarantined: true }];
    expect(restoreOutcome({ source: 'checkpoint', rejected: [] })).toBe('restored');
    expect(restoreOutcome({ source: 'checkpoint', rejected })).toBe('fallback');
    expect(restoreOutcome({ source: 'fresh', rejected: [] })).toBe('empty');
    expect(restoreOutcome({ source: 'fresh', rejected })).toBe('failed');
  });
});
