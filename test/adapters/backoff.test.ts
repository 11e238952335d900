import { expect, it } from 'vitest';
import { backoffDelay } from 'xstate-checkpoint/adapter-kit';

it('doubles from minMs per attempt up to maxMs (the one backoff of every adapter retry and reconnect)', () => {
  expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, { minMs: 50, maxMs: 500 }))).toEqual([
    50, 100, 200, 400, 500, 500,
  ]);
  // A negative attempt (a caller counting from 1 that passes 0 - 1) is the first delay, never less.
  expect(backoffDelay(-1, { minMs: 20, maxMs: 5000 })).toBe(20);
});

it('spreads jittered delays over [delay / 2, delay)', () => {
  const delays = Array.from({ length: 200 }, () => backoffDelay(3, { minMs: 100, maxMs: 5000, jitter: true }));
  expect(Math.min(...delays)).toBeGreaterThanOrEqual(400);
  expect(Math.max(...delays)).toBeLessThan(800);
  expect(new Set(delays).size).toBeGreaterThan(1);
});
