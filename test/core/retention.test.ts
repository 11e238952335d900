import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import {
  checkRetention,
  explainRetention,
  isCheckpointError,
  persistActor,
  type Clock,
  type GenerationInfo,
  type RetentionOptions,
} from 'xstate-checkpoint';
import { pruneGenerations, selectPrunable } from 'xstate-checkpoint/pipeline';
import { memoryAdapter } from 'xstate-checkpoint/adapters/memory';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
const gen = (seq: number, createdAt: number): GenerationInfo => ({ seq, epoch: 0, byteLength: 1, createdAt });
/** Generations 1..n, the i-th written at times[i - 1]. */
const written = (times: readonly number[]) => times.map((t, i) => gen(i + 1, t));
const kept = (gens: readonly GenerationInfo[], options: RetentionOptions, now: number, keep: number[] = []) => {
  const prunable = new Set(selectPrunable(gens, options, now, new Set(keep)));
  return gens
    .map((g) => g.seq)
    .filter((s) => !prunable.has(s))
    .sort((a, b) => b - a);
};

// Oracle for the year-long case, by another route than the code under test:
// calendar fields of Date rather than division of the time value.
function periodKey(t: number, rule: 'hourly' | 'daily' | 'weekly'): string {
  const d = new Date(t);
  if (rule === 'hourly') return d.toISOString().slice(0, 13);
  if (rule === 'daily') return d.toISOString().slice(0, 10);
  const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7)));
  return monday.toISOString().slice(0, 10);
}
function oracle(gens: readonly GenerationInfo[], rule: 'hourly' | 'daily' | 'weekly', n: number): number[] {
  const newestOf = new Map<string, number>();
  for (const g of gens) {
    const k = periodKey(g.createdAt, rule);
    newestOf.set(k, Math.max(newestOf.get(k) ?? 0, g.seq));
  }
  return [...newestOf.values()].sort((a, b) => b - a).slice(0, n);
}

describe('selectPrunable: hybrid retention, table of cases', () => {
  const day = (n: number, hour = 12) => at('2026-01-01T00:00:00Z') + (n - 1) * DAY + hour * HOUR;
  const cases: Array<{
    name: string;
    times: number[];
    options: RetentionOptions;
    now: number;
    keep?: number[];
    expected: number[];
  }> = [
    {
      name: 'latest alone keeps the newest n (as before)',
      times: [1, 2, 3, 4, 5],
      options: { latest: 3 },
      now: 10,
      expected: [5, 4, 3],
    },
    {
      name: 'maxAgeMs limits latest; the newest stays however old',
      times: [day(1), day(2), day(3), day(4)],
      options: { latest: 3, maxAgeMs: 1.5 * DAY },
      now: day(5),
      expected: [4],
    },
    {
      name: 'maxAgeMs does not limit the calendar rules',
      times: [day(1), day(2), day(3), day(4)],
      options: { latest: 1, maxAgeMs: DAY, keepDaily: 3 },
      now: day(30),
      expected: [4, 3, 2],
    },
    {
      name: 'keepDaily keeps the newest write of each day',
      times: [day(1, 8), day(1, 20), day(2, 8), day(2, 20), day(3, 1), day(3, 2)],
      options: { latest: 1, keepDaily: 3 },
      now: day(3, 3),
      expected: [6, 4, 2],
    },
    {
      name: 'days without writes do not count (a pause keeps the days before it)',
      times: [day(1), day(2), day(5, 9), day(5, 10), day(40, 9), day(40, 10)],
      options: { latest: 1, keepDaily: 3 },
      now: day(40, 11),
      expected: [6, 4, 2],
    },
    {
      name: 'keepWeekly keeps the newest of each Monday-to-Sunday week',
      // 2026-01-04 is a Sunday, 2026-01-05 a Monday, 2026-01-11 a Sunday.
      times: [at('2026-01-04T10:00Z'), at('2026-01-04T23:59Z'), at('2026-01-05T00:00Z'), at('2026-01-11T23:00Z')],
      options: { latest: 1, keepWeekly: 5 },
      now: at('2026-01-12T00:00Z'),
      expected: [4, 2],
    },
    {
      name: 'keepHourly keeps one per hour',
      times: [day(1, 1), day(1, 1) + 1000, day(1, 2), day(1, 2) + 1000, day(1, 3)],
      options: { latest: 1, keepHourly: 2 },
      now: day(1, 4),
      expected: [5, 4],
    },
    {
      name: 'rules add up: a generation survives when any rule keeps it',
      // latest: 5 4; daily: 5 (Fri 9th) 2 (Thu 8th); weekly: 5 (week of the 5th) 1 (week of Dec 29).
      times: [day(1), day(8), day(9, 1), day(9, 2), day(9, 3)],
      options: { latest: 2, keepDaily: 2, keepWeekly: 2 },
      now: day(9, 4),
      expected: [5, 4, 2, 1],
    },
    {
      name: 'clock going backwards: a period counts once, ranked by its newest write',
      // 3 and 5 are written on day 3, 4 after the clock went back to day 1.
      times: [day(1, 1), day(2), day(3, 1), day(1, 2), day(3, 2)],
      options: { latest: 1, keepDaily: 2 },
      now: day(3, 3),
      expected: [5, 4],
    },
    {
      name: 'a clock that jumped years ahead does not hold a daily slot forever',
      times: [day(1), at('2099-01-01T00:00Z'), day(2), day(3), day(4)],
      options: { latest: 1, keepDaily: 3 },
      now: day(4),
      expected: [5, 4, 3],
    },
    {
      name: 'the newest valid generation (keep) stays even when no rule keeps it',
      times: [1, 2, 3, 4, 5],
      options: { latest: 2 },
      now: 10,
      keep: [1],
      expected: [5, 4, 1],
    },
    {
      name: 'a createdAt that is not a number is kept by no calendar rule',
      times: [day(1), Number.NaN, day(2), day(3)],
      options: { latest: 1, keepDaily: 5 },
      now: day(3),
      expected: [4, 3, 1],
    },
    {
      name: 'utcOffsetMinutes moves the day boundary',
      // 23:30 UTC on day 1 is 00:30 of day 2 at UTC+1.
      times: [day(1, 10), day(1, 23) + HOUR / 2, day(2, 10)],
      options: { latest: 1, keepDaily: 2, utcOffsetMinutes: 60 },
      now: day(2, 11),
      expected: [3, 1],
    },
  ];
  it.each(cases)('$name', ({ times, options, now, keep, expected }) => {
    expect(kept(written(times), options, now, keep)).toEqual(expected);
  });

  it('a year of hourly writes: hourly, daily and weekly rules each keep what a calendar says', () => {
    const start = at('2025-01-01T00:00:00Z');
    const times = Array.from({ length: 365 * 24 }, (_, i) => start + i * HOUR);
    const gens = written(times);
    const options = { latest: 5, keepHourly: 48, keepDaily: 30, keepWeekly: 52 };
    const explained = explainRetention(gens, options, times.at(-1)!);
    const byRule = (rule: string) => explained.filter((g) => g.keptBy.includes(rule as never)).map((g) => g.seq);
    expect(byRule('latest')).toEqual([8760, 8759, 8758, 8757, 8756]);
    expect(byRule('hourly')).toEqual(oracle(gens, 'hourly', 48));
    expect(byRule('daily')).toEqual(oracle(gens, 'daily', 30));
    expect(byRule('weekly')).toEqual(oracle(gens, 'weekly', 52));
    // The newest of each day is its 23:00 write; of each week, Sunday 23:00.
    for (const seq of byRule('daily')) expect(new Date(times[seq - 1]!).getUTCHours()).toBe(23);
    for (const seq of byRule('weekly').slice(1)) expect(new Date(times[seq - 1]!).getUTCDay()).toBe(0);
    const union = new Set([...byRule('latest'), ...byRule('hourly'), ...byRule('daily'), ...byRule('weekly')]);
    expect(selectPrunable(gens, options, times.at(-1)!)).toHaveLength(gens.length - union.size);
    // 48 hourly include the 5 latest; 30 daily overlap the 2 newest days; 52 weekly overlap the daily ones of 5 weeks.
    expect(union.size).toBe(48 + 28 + 52 - 5);
  });

  it('a year with a month-long gap: the days before the gap stay reachable', () => {
    const start = at('2025-01-01T00:00:00Z');
    const times = Array.from({ length: 365 * 24 }, (_, i) => start + i * HOUR).filter(
      (t) => t < at('2025-06-01T00:00Z') || t >= at('2025-07-01T00:00Z'),
    );
    const gens = written(times);
    const daily = explainRetention(gens, { latest: 1, keepDaily: 200 }, times.at(-1)!)
      .filter((g) => g.keptBy.includes('daily'))
      .map((g) => new Date(g.createdAt).toISOString().slice(0, 10));
    expect(daily).toHaveLength(200);
    expect(daily).not.toContain('2025-06-15');
    expect(daily).toContain('2025-05-31');
  });

  it('DST has no effect in UTC: every UTC day across the switches has 24 writes and keeps its 23:00 one', () => {
    // Europe moves its clocks on 2026-03-29 and 2026-10-25, the US on 2026-03-08 and 2026-11-01.
    for (const switchDay of ['2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01']) {
      const start = at(`${switchDay}T00:00:00Z`) - 2 * DAY;
      const times = Array.from({ length: 5 * 24 }, (_, i) => start + i * HOUR);
      const explained = explainRetention(written(times), { latest: 1, keepDaily: 5 }, times.at(-1)!);
      const daily = explained.filter((g) => g.keptBy.includes('daily'));
      expect(daily.map((g) => new Date(g.createdAt).toISOString().slice(11, 16))).toEqual(Array(5).fill('23:00'));
    }
  });

  it('explainRetention names every rule that keeps a generation', () => {
    const gens = written([at('2026-01-05T10:00Z'), at('2026-01-06T10:00Z'), at('2026-01-06T11:00Z')]);
    const explained = explainRetention(
      gens,
      { latest: 1, keepDaily: 2, keepWeekly: 1 },
      at('2026-01-06T12:00Z'),
      new Set([2]),
    );
    expect(explained.map((g) => [g.seq, g.keptBy])).toEqual([
      [3, ['newest', 'latest', 'daily', 'weekly']],
      [2, ['newest-valid']],
      [1, ['daily']],
    ]);
  });

  it('checkRetention refuses counts and offsets it cannot use, with invalid-option', () => {
    for (const bad of [
      { latest: 0 },
      { latest: 1.5 },
      { keepDaily: -1 },
      { keepWeekly: 2.5 },
      { keepHourly: Number.NaN },
      { utcOffsetMinutes: 15 * 60 },
      { maxAgeMs: -1 },
    ]) {
      let error: unknown;
      try {
        checkRetention(bad, 'k');
      } catch (e) {
        error = e;
      }
      expect(isCheckpointError(error) && error.code, JSON.stringify(bad)).toBe('invalid-option');
    }
    expect(() =>
      checkRetention({ latest: Number.POSITIVE_INFINITY, keepDaily: 0, utcOffsetMinutes: -300 }),
    ).not.toThrow();
  });
});

describe('pruneGenerations', () => {
  it("never removes a generation newer than the writer's own newest (a stale writer after a takeover)", async () => {
    const adapter = memoryAdapter();
    const bytes = new Uint8Array([1]);
    for (let seq = 1; seq <= 5; seq++)
      await adapter.write('k', { seq, epoch: 0, createdAt: seq, byteLength: 1, bytes });
    // This writer's newest is 3 (clear() kept it); 4 and 5 came from the new owner after it.
    const known = await adapter.list('k');
    const removed = await pruneGenerations(adapter, 'k', known, { latest: 1 }, 10, 3, (e) => {
      throw e;
    });
    expect(removed.sort()).toEqual([1, 2]);
    expect((await adapter.list('k')).map((g) => g.seq)).toEqual([5, 4, 3]);
    expect(known.map((g) => g.seq)).toEqual([5, 4, 3]);
  });
});

describe('persistActor with hybrid retention', () => {
  const counter = createMachine({
    id: 'counter',
    context: { count: 0 },
    on: { INC: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
  });

  it('keeps one generation per day across a week of writes; history.list says which rule keeps each', async () => {
    let now = at('2026-02-02T08:00:00Z');
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as never),
    };
    const adapter = memoryAdapter();
    const options = { key: 'c', adapter, clock, flushOnExit: false, retain: { latest: 2, keepDaily: 4 } } as const;
    const p = await persistActor(counter, options);
    for (let d = 0; d < 7; d++) {
      for (let w = 0; w < 3; w++) {
        p.actor.send({ type: 'INC' });
        await p.flush();
        now += 2 * HOUR;
      }
      now += DAY - 6 * HOUR;
    }
    const list = await p.history.list();
    expect(list.map((g) => [new Date(g.createdAt).toISOString().slice(5, 13), g.keptBy])).toEqual([
      ['02-08T12', ['newest', 'latest', 'daily']],
      ['02-08T10', ['latest']],
      ['02-07T12', ['daily']],
      ['02-06T12', ['daily']],
      ['02-05T12', ['daily']],
    ]);
    expect((await adapter.list('c')).map((g) => g.seq)).toEqual(list.map((g) => g.seq));
    await p.close();
  });

  it('never prunes a quarantined generation', async () => {
    let now = at('2026-02-02T08:00:00Z');
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as never),
    };
    const adapter = memoryAdapter();
    const first = await persistActor(counter, { key: 'q', adapter, clock, flushOnExit: false });
    first.actor.send({ type: 'INC' });
    await first.flush();
    await first.close();
    await adapter.quarantine('q', 1, 'test: set aside');
    const p = await persistActor(counter, { key: 'q', adapter, clock, flushOnExit: false, retain: { latest: 1 } });
    for (let i = 0; i < 5; i++) {
      now += DAY;
      p.actor.send({ type: 'INC' });
      await p.flush();
    }
    expect((await adapter.list('q')).map((g) => g.seq)).toHaveLength(1);
    expect((await adapter.listQuarantine('q')).map((q) => q.seq)).toEqual([1]);
    await p.close();
  });
});
